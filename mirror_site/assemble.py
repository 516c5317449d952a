"""Stage 4, assemble: the published papers and the journal's settings as one `Site` value,
with what only the whole journal knows (who links to whom). Templates get views (views.py)."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from .config import Config
from .fingerprint import settings_key
from .memo import Memo
from .model import Paper, RenderedBody
from .relations import Backlink, backlinks
from .reviews import Review
from .store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class PublishedPaper:
    paper: Paper
    body: RenderedBody
    earlier: tuple[PublishedPaper, ...] = ()  #: versions 1..N-1, oldest first, from versions/vN.md
    reviews: tuple[Review, ...] = ()  #: from reviews/*.md, by file name
    #: Store key of the full body when `body` is light (prepare.py); "" when `body` is complete.
    body_key: str = ""
    #: Fingerprint of everything the paper's own pages depend on besides other papers ("" = unknown).
    key: str = ""


@dataclass(frozen=True)
class Site:
    """Everything the output modules need, and nothing they could mutate."""

    config: Config
    papers: tuple[PublishedPaper, ...]  #: newest first, then by slug
    build_date: datetime.date  #: from SOURCE_DATE_EPOCH when set; decides which dated papers are due
    backlinks: dict[str, tuple[Backlink, ...]] = field(default_factory=dict)  #: slug → who links to it
    #: Where light papers' texts and bodies are kept (prepare.py); None when `papers` are complete.
    store: Store | None = field(default=None, compare=False)
    #: `mirror serve`: per-paper values of the previous build (memo.py); None for `mirror build`.
    memo: Memo | None = field(default=None, compare=False)

    def remember(self, kind: str, entry: PublishedPaper, make: Callable[[], T], *also: Hashable) -> T:
        """`make()`: a value of kind `kind` computed from `entry`, the configuration and `also`
        alone (never from other papers), kept for the next build of `mirror serve`."""
        if self.memo is None or not entry.key:
            return make()
        return self.memo.get((kind, entry.key, entry.body_key, self.config_key, also), make)

    @functools.cached_property
    def config_key(self) -> str:
        """The configuration's fingerprint, computed once a build (keys of every paper include it)."""
        return settings_key(self.config)

    def links_to(self, slug: str) -> tuple[Backlink, ...]:
        """Who relates to or cites the paper `slug` (none when nobody does)."""
        return self.backlinks.get(slug, ())

    def by_slug(self) -> dict[str, Paper]:
        return {entry.paper.slug: entry.paper for entry in self.papers}

    @functools.cached_property
    def first_date(self) -> str:
        """The date of the oldest paper ("" for none): every feed's id needs it, computed once."""
        return min((entry.paper.date for entry in self.papers), default="")

    def full(self, entry: PublishedPaper) -> PublishedPaper:
        """`entry` with its Markdown and its whole rendered body, read back from the store. Called
        by the outputs that need them, one paper at a time, so that no build holds every body."""
        return full_entry(self.store, entry)


def full_entry(store: Store | None, entry: PublishedPaper) -> PublishedPaper:
    """`Site.full`, for code that has the store but no site (work done in an executor)."""
    if store is None or not entry.body_key:
        return entry
    stored = store.load("body", entry.body_key)
    if not (isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], RenderedBody)):
        raise LookupError(f"the build cache lost the rendered text of {entry.paper.source.path}; build again")
    body, decoded = stored
    source = entry.paper.source
    paper = replace(entry.paper, source=replace(source, source=decoded, body=body_of(decoded, source.body_line)))
    return replace(entry, paper=paper, body=body, body_key="", earlier=tuple(full_entry(store, old) for old in entry.earlier))


def body_of(text: str, body_line: int) -> str:
    """The body of a paper's decoded text: everything from line `body_line` on (front_matter.split)."""
    return "\n".join(text.split("\n")[body_line - 1:])


def assemble(config: Config, papers: list[PublishedPaper], build_date: datetime.date, store: Store | None = None,
             memo: Memo | None = None) -> Site:
    ordered = sorted(papers, key=lambda p: p.paper.slug)
    ordered.sort(key=lambda p: p.paper.date, reverse=True)
    links = backlinks((entry.paper, entry.body) for entry in ordered)
    return Site(config, tuple(ordered), build_date, links, store, memo)


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
