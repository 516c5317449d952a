"""The values passed between pipeline stages: frozen, picklable, no back-references."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .front_matter import Positions


@dataclass(frozen=True)
class SourcePaper:
    """A paper as loaded from disk: decoded, split, its YAML parsed; nothing checked yet."""

    slug: str  #: the folder name, the paper's permanent URL segment
    folder: Path  #: absolute path of `papers/<slug>/`
    path: str  #: `papers/<slug>/paper.md`, as printed in diagnostics
    front: dict[str, Any]  #: the parsed front matter (plain YAML values)
    positions: Positions  #: line and column of every front-matter value
    body: str  #: the Markdown body
    body_line: int  #: line number of the body's first line in `paper.md`
    source: str  #: the whole decoded file (BOM removed, LF line endings): the Markdown twin
    sha256: str  #: hex digest of the raw bytes of `paper.md`


@dataclass(frozen=True)
class Affiliation:
    name: str
    ror: str = ""


@dataclass(frozen=True)
class Author:
    name: str
    kind: str  #: `ai` or `human`
    model: str = ""  #: for AI authors, the system name and version
    affiliations: tuple[str, ...] = ()  #: resolved names
    orcid: str = ""
    email: str = ""
    roles: tuple[str, ...] = ()
    corresponding: bool = False
    equal_contrib: bool = False


@dataclass(frozen=True)
class Paper:
    """A validated paper: typed metadata plus the source it came from."""

    source: SourcePaper
    title: str
    authors: tuple[Author, ...]
    date: str  #: YYYY-MM-DD
    abstract: str  #: Markdown inline text
    license: str  #: SPDX id
    keywords: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    finding: str = ""
    status: str = "published"
    version: int = 1
    updated: str = ""
    draft: bool = False
    doi: str = ""
    arxiv: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  #: every validated field, normalised

    @functools.cached_property  # read hundreds of thousands of times a build at 10,000 papers
    def slug(self) -> str:
        return self.source.slug


@dataclass(frozen=True)
class Figure:
    """A file of the paper folder that the body references and the site must publish."""

    relpath: str  #: path inside the paper folder, forward slashes
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class Heading:
    level: int  #: HTML level: 2 for a `#` section
    text: str
    id: str
    number: str = ""  #: "2.1"; empty for unnumbered sections


@dataclass(frozen=True)
class RenderedBody:
    """The pure result of rendering one paper's Markdown."""

    html: str
    abstract_html: str
    headings: tuple[Heading, ...]
    figures: tuple[Figure, ...]
    references: tuple[tuple[str, str], ...]  #: (HTML id, formatted entry) of each cited BibTeX entry
    mirror_citations: tuple[tuple[str, int], ...]  #: (slug, line) of each cited Mirror paper
    diagnostics: tuple[Any, ...]  #: `Diagnostic`s found while rendering
    # Plain text for machines, computed here (in parallel, cached) rather than by every output.
    text: str = ""
    abstract_text: str = ""
    reference_texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutputFile:
    """One file of the site: where it goes and its bytes, or the source file to copy."""

    path: str  #: relative to the output root, forward slashes, no leading slash
    data: bytes = b""
    source: Path | None = None  #: when set, copy this file instead of writing `data`
