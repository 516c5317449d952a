"""Stage 4, assemble: the published papers and the journal's settings as one `Site` value,
and the view models that templates receive (never the domain objects themselves)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from markupsafe import Markup

from .config import Config
from .model import Heading, Paper, RenderedBody
from .urls import paper_url


@dataclass(frozen=True)
class PublishedPaper:
    paper: Paper
    body: RenderedBody


@dataclass(frozen=True)
class Site:
    """Everything the output modules need, and nothing they could mutate."""

    config: Config
    papers: tuple[PublishedPaper, ...]  #: newest first, then by slug
    build_date: datetime.date  #: from SOURCE_DATE_EPOCH when set; decides which dated papers are due


def assemble(config: Config, papers: list[PublishedPaper], build_date: datetime.date) -> Site:
    ordered = sorted(papers, key=lambda p: p.paper.slug)
    ordered.sort(key=lambda p: p.paper.date, reverse=True)
    return Site(config, tuple(ordered), build_date)


@dataclass(frozen=True)
class AuthorView:
    name: str
    kind: str
    model: str
    affiliations: tuple[str, ...]
    orcid_url: str


@dataclass(frozen=True)
class PaperView:
    """What `paper.html` may show of a paper."""

    slug: str
    url: str
    title: str
    authors: tuple[AuthorView, ...]
    date: str
    date_display: str
    updated: str
    version: int
    license: str
    license_url: str
    finding: str
    keywords: tuple[str, ...]
    methods: tuple[str, ...]
    abstract_html: Markup
    body_html: Markup
    toc: tuple[Heading, ...]
    markdown_url: str


@dataclass(frozen=True)
class SiteView:
    """What every page may show of the journal."""

    title: str
    description: str
    language: str
    base_path: str
    base_url: str


def license_url(spdx: str) -> str:
    if spdx.startswith("CC-BY") or spdx.startswith("CC0"):
        parts = spdx.lower().split("-")
        if spdx.startswith("CC0"):
            return "https://creativecommons.org/publicdomain/zero/1.0/"
        return f"https://creativecommons.org/licenses/{'-'.join(parts[1:-1])}/{parts[-1]}/"
    return f"https://spdx.org/licenses/{spdx}.html"


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def display_date(iso: str) -> str:
    """`2026-11-25` → `25 November 2026`, whatever the machine's locale."""
    day = datetime.date.fromisoformat(iso)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def site_view(config: Config) -> SiteView:
    return SiteView(config.title, config.description, config.language, config.base_path, config.base_url)


def paper_view(entry: PublishedPaper, config: Config) -> PaperView:
    paper, body = entry.paper, entry.body
    url = paper_url(config.base_path, paper.slug)
    return PaperView(
        slug=paper.slug, url=url, title=paper.title,
        authors=tuple(AuthorView(a.name, a.kind, a.model, a.affiliations,
                                 f"https://orcid.org/{a.orcid}" if a.orcid else "") for a in paper.authors),
        date=paper.date, date_display=display_date(paper.date), updated=paper.updated, version=paper.version,
        license=paper.license, license_url=license_url(paper.license), finding=paper.finding,
        keywords=paper.keywords, methods=paper.methods,
        abstract_html=Markup(body.abstract_html), body_html=Markup(body.html),  # noqa: S704 - rendered escaped
        toc=tuple(h for h in body.headings if h.level <= 3), markdown_url=url + "paper.md",
    )
