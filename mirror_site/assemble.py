"""Stage 4, assemble: the published papers and the journal's settings as one `Site` value,
with what only the whole journal knows (who links to whom). Templates get views (views.py)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from .config import Config
from .model import Paper, RenderedBody
from .relations import Backlink, backlinks
from .reviews import Review


@dataclass(frozen=True)
class PublishedPaper:
    paper: Paper
    body: RenderedBody
    earlier: tuple[PublishedPaper, ...] = ()  #: versions 1..N-1, oldest first, from versions/vN.md
    reviews: tuple[Review, ...] = ()  #: from reviews/*.md, by file name


@dataclass(frozen=True)
class Site:
    """Everything the output modules need, and nothing they could mutate."""

    config: Config
    papers: tuple[PublishedPaper, ...]  #: newest first, then by slug
    build_date: datetime.date  #: from SOURCE_DATE_EPOCH when set; decides which dated papers are due
    backlinks: dict[str, tuple[Backlink, ...]] = field(default_factory=dict)  #: slug → who links to it

    def by_slug(self) -> dict[str, Paper]:
        return {entry.paper.slug: entry.paper for entry in self.papers}


def assemble(config: Config, papers: list[PublishedPaper], build_date: datetime.date) -> Site:
    ordered = sorted(papers, key=lambda p: p.paper.slug)
    ordered.sort(key=lambda p: p.paper.date, reverse=True)
    links = backlinks((entry.paper, entry.body) for entry in ordered)
    return Site(config, tuple(ordered), build_date, links)


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
