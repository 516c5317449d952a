"""Output: the journal's listings — archive volumes (years) and issues (months), topics, models
studied, methods, finding kinds and authors — each with stable pagination and its own feeds.

Pages are numbered from the oldest paper: page N, once full, never changes as papers are added;
the listing's front page shows the newest papers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from .assemble import MONTHS, PublishedPaper, Site
from .feeds import feed_set
from .fields import FINDINGS
from .markdown import slugify
from .model import OutputFile, Paper

PAGE_SIZE = 50


@dataclass(frozen=True)
class Listing:
    """One listing: a set of papers under a folder of the site."""

    folder: str  #: e.g. `topics/grokking/`
    title: str
    description: str
    papers: tuple[PublishedPaper, ...]  #: newest first
    group: str  #: which index it belongs to: archive, topics, models, methods, findings, authors
    label: str  #: the term as shown in its group's index
    about: str = ""  #: a line under the title: for an AI author, the models it was on its papers


GROUPS = {
    "topics": ("Topics", "Papers by keyword."),
    "models": ("Models studied", "Papers by the model they study."),
    "methods": ("Methods", "Papers by interpretability method."),
    "findings": ("Findings", "Papers by kind of contribution: replications, failed replications and negative results "
                             "are listed as prominently as new findings."),
    "authors": ("Authors", "Papers by author; AI systems have author pages too."),
    "archive": ("Archive", "Every paper by volume (year) and issue (month)."),
}


def _listed(site: Site) -> list[PublishedPaper]:
    """Withdrawn papers keep their tombstone URL but leave the listings."""
    return [entry for entry in site.papers if entry.paper.status != "withdrawn"]


def _ai_models(paper: Paper) -> list[tuple[str, str]]:
    """(author's slug, model) of each AI author of the paper that names its model."""
    return [(slugify(a.name), a.model) for a in paper.authors if a.kind == "ai" and a.model]


def _terms(paper: Paper) -> list[tuple[tuple[str, str], str]]:
    """The listings the paper is in, as ((group, key), term as written)."""
    terms = [("topics", k) for k in paper.keywords] + [("methods", m) for m in paper.methods]
    terms += [("models", m["name"]) for m in paper.meta.get("subject_models", [])]
    terms += [("authors", a.name) for a in paper.authors]
    terms += [("archive", paper.date[:4]), ("archive", paper.date[:7].replace("-", "/"))]
    if paper.finding:
        terms.append(("findings", paper.finding))
    return [((group, term if group == "archive" else slugify(term)), term) for group, term in terms]


def listings(site: Site) -> list[Listing]:
    """Every listing of the journal, computed as data."""
    groups: dict[tuple[str, str], list[PublishedPaper]] = defaultdict(list)
    members: set[tuple[str, str, str]] = set()  # (group, term, slug): a paper lists once per term
    names: dict[tuple[str, str], str] = {}
    models: dict[str, set[str]] = defaultdict(set)  # AI author's slug → the models it was
    for entry in _listed(site):
        slug = entry.paper.slug
        for author, model in site.remember("listing-models", entry, partial(_ai_models, entry.paper)):
            models[author].add(model)
        for ident, term in site.remember("listing-terms", entry, partial(_terms, entry.paper)):
            names.setdefault(ident, term)
            if (*ident, slug) not in members:
                members.add((*ident, slug))
                groups[ident].append(entry)
    for finding in FINDINGS:  # every kind of finding has its listing and feed, even when empty
        groups.setdefault(("findings", finding), [])
        names.setdefault(("findings", finding), finding)
    result = []
    for (group, key), papers in sorted(groups.items()):
        name = names[(group, key)]
        if group == "archive":
            year, _, month = key.partition("/")
            title = f"Volume {year}" + (f", issue {int(month)} ({MONTHS[int(month) - 1]} {year})" if month else f" ({year})")
        else:
            title = {"findings": f"Finding: {name.replace('-', ' ')}", "authors": name}.get(group, f"{GROUPS[group][0]}: {name}")
        about = f"An AI system; on these papers it was {', '.join(sorted(models[key]))}." if group == "authors" and models[key] else ""
        result.append(Listing(f"{group}/{key}/", title, f"{title} — papers in {site.config.title}", tuple(papers), group, name,
                              about))
    return result


@dataclass(frozen=True)
class Page:
    path: str  #: the output file
    number: int  #: 0 for the front page
    papers: tuple[PublishedPaper, ...]
    numbers: tuple[int, ...]  #: the numbered pages of this listing, for navigation


def paginate(folder: str, papers: Sequence[PublishedPaper], size: int = PAGE_SIZE) -> list[Page]:
    """The front page (newest `size` papers) and numbered pages of `size` papers from the oldest."""
    oldest_first = list(reversed(papers))
    chunks = [oldest_first[i:i + size] for i in range(0, len(oldest_first), size)]
    numbers = tuple(range(1, len(chunks) + 1)) if len(chunks) > 1 else ()
    pages = [Page(folder + "index.html", 0, tuple(papers[:size]), numbers)]
    pages += [Page(f"{folder}page/{n}/index.html", n, tuple(reversed(chunk)), numbers)
              for n, chunk in zip(numbers, chunks, strict=False)]
    return pages


def listing_feeds(site: Site, found: list[Listing]) -> Iterator[OutputFile]:
    for listing in found:
        yield from feed_set(site, listing.folder, f"{site.config.title}: {listing.title}", listing.description, listing.papers)
