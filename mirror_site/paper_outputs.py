"""Each paper's own outputs — its page (with reviews, earlier versions, alias redirects), `paper.json`,
`cite.bib`, `CITATION.cff`, the Markdown twin, figures and supplements — as one group, made by a
pure function that runs in the build's executor like rendering does.

The group is made again only when its fingerprint changes: the paper's folder and settings (the
`prepare` key), its rendered bodies, the templates, the engine, and what its page shows of other
papers (the title, date, authors and status of each paper it links to or that links to it).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .assemble import PublishedPaper, Site
from .assets import paper_files
from .cite import cite_files
from .config import Config
from .fingerprint import engine_version, fingerprint
from .model import OutputFile, Paper, RenderedBody
from .pages import cached_environment, paper_pages
from .records import paper_json_file
from .relations import Backlink, mirror_links
from .store import Store

_NO_BODY = RenderedBody("", "", (), (), (), (), ())


@dataclass(frozen=True)
class PaperJob:
    """Everything one paper's outputs are made from; small, since the texts stay in the store."""

    entry: PublishedPaper  #: light
    linked: tuple[Paper, ...]  #: the papers its page links to or is linked from (light)
    backlinks: tuple[Backlink, ...]
    config: Config
    build_date: datetime.date
    templates: Path
    templates_key: str  #: fingerprint of the templates, so that each worker compiles each version once
    store: Path | None  #: None when `entry` is complete


def linked_slugs(entry: PublishedPaper, backlinks: tuple[Backlink, ...]) -> list[str]:
    """Slugs of the papers whose title, authors, date or status appear on the paper's pages."""
    found = {slug for version in (entry, *entry.earlier) for _, slug, _ in mirror_links(version.paper, version.body)}
    return sorted(found | {link.slug for link in backlinks})


def _shown(paper: Paper | None) -> Any:
    """What a page shows of another paper (views.py: `_who`, `_notice`, `_paper_link`, reference entries)."""
    if paper is None:
        return None
    return (paper.title, paper.date, paper.status, tuple((a.name, a.kind) for a in paper.authors))


def group_key(entry: PublishedPaper, site: Site, templates_key: str, papers: dict[str, Paper]) -> str:
    """The fingerprint of the paper's group; '' (always made) when the entry carries no key."""
    if not entry.key:
        return ""
    backlinks = site.links_to(entry.paper.slug)
    shown = [(slug, _shown(papers.get(slug))) for slug in linked_slugs(entry, backlinks)]
    return fingerprint("paper-outputs", engine_version(), site.config_key, templates_key, entry.key, entry.body_key,
                       [(old.key, old.body_key) for old in entry.earlier], backlinks, shown)


def job(entry: PublishedPaper, site: Site, templates: Path, templates_key: str, papers: dict[str, Paper]) -> PaperJob:
    backlinks = site.links_to(entry.paper.slug)
    linked = tuple(papers[slug] for slug in linked_slugs(entry, backlinks) if slug in papers)
    return PaperJob(entry, linked, backlinks, site.config, site.build_date, templates, templates_key,
                    site.store.folder if site.store else None)


def paper_outputs(job: PaperJob) -> list[OutputFile]:
    """Make the paper's files (in a worker, or in the build's own process)."""
    others = tuple(PublishedPaper(paper, _NO_BODY) for paper in job.linked if paper.slug != job.entry.paper.slug)
    site = Site(job.config, (job.entry, *others), job.build_date, {job.entry.paper.slug: job.backlinks},
                Store(job.store) if job.store else None)
    entry = site.full(job.entry)
    files = list(paper_pages(site, job.templates, cached_environment(job.templates, job.templates_key), entry))
    files.append(paper_json_file(entry, job.config, job.backlinks))
    files += cite_files(entry.paper, job.config)
    files += paper_files(entry)
    return files
