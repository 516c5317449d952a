"""Typed relations between papers and the inverse lists computed from them ("replicated by",
"cited by"): the only place where one paper's page depends on the others."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .fields import SLUG
from .model import Paper, RenderedBody

LABELS = {
    "replicates": "Replicates", "fails_to_replicate": "Fails to replicate", "extends": "Extends",
    "contradicts": "Contradicts", "uses_method_of": "Uses the method of",
}
INVERSE = {
    "replicates": "Replicated by", "fails_to_replicate": "Failed replications", "extends": "Extended by",
    "contradicts": "Contradicted by", "uses_method_of": "Method used by", "cites": "Cited by",
}
#: The inverse lists as machine-readable keys (`paper.json`, the corpus).
INVERSE_KEYS = {
    "replicates": "replicated_by", "fails_to_replicate": "failed_replications", "extends": "extended_by",
    "contradicts": "contradicted_by", "uses_method_of": "method_used_by", "cites": "cited_by",
}


def mirror_slug(target: str) -> str:
    """The Mirror slug a relation target names (`slug` or `mirror:slug`), or '' for external ids."""
    plain = target.removeprefix("mirror:")
    return plain if re.fullmatch(SLUG, plain) else ""


def mirror_links(paper: Paper, body: RenderedBody) -> list[tuple[str, str, int]]:
    """(kind, slug, line) of every link from `paper` to another Mirror paper: relations and citations."""
    links = []
    for kind, targets in sorted(paper.meta.get("relations", {}).items()):
        for index, target in enumerate(targets):
            slug = mirror_slug(target)
            if slug:
                links.append((kind, slug, paper.source.positions.of(("relations", kind, index))[0]))
    links += [("cites", slug, line) for slug, line in body.mirror_citations]
    return links


@dataclass(frozen=True)
class Backlink:
    kind: str  #: a relation kind, or `cites`
    slug: str  #: the paper that links here


def backlinks(entries: Iterable[tuple[Paper, RenderedBody]]) -> dict[str, tuple[Backlink, ...]]:
    """For each paper, who relates to or cites it, sorted for determinism."""
    found: dict[str, set[Backlink]] = defaultdict(set)
    for paper, body in entries:
        for kind, slug, _ in mirror_links(paper, body):
            if slug != paper.slug:
                found[slug].add(Backlink(kind, paper.slug))
    return {slug: tuple(sorted(links, key=lambda b: (b.kind, b.slug))) for slug, links in found.items()}


def inverse_lists(links: tuple[Backlink, ...]) -> dict[str, list[str]]:
    """Every inverse list under its key, empty ones included (records keep the same columns)."""
    return {key: sorted(link.slug for link in links if link.kind == kind) for kind, key in INVERSE_KEYS.items()}
