"""A paper's BibTeX: parsed with positions, checked, and formatted in the journal's one style."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

import bibtexparser
from bibtexparser import middlewares
from bibtexparser.library import Library
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text  # type: ignore[import-untyped]

from .diagnostics import Diagnostic, error, warning

ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)")


@dataclass(frozen=True)
class Reference:
    """One bibliography entry, decoded from LaTeX, ready to cite and list."""

    key: str
    kind: str  #: BibTeX entry type, lowercase
    authors: tuple[str, ...]  #: family name and initials: "Nanda, N."
    family_names: tuple[str, ...]
    year: str
    title: str
    venue: str
    doi: str = ""
    arxiv: str = ""
    url: str = ""
    line: int = 0  #: line of the entry in the .bib file

    def in_text(self) -> tuple[str, str]:
        """("Nanda et al.", "2023"): the author part and the year part of an author-year citation."""
        names = self.family_names
        who = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}" if len(names) == 2
               else f"{names[0]} et al." if names else self.title[:40])
        return who, self.year or "n.d."

    def sort_key(self) -> tuple[str, str, str]:
        return (self.family_names[0].lower() if self.family_names else self.title.lower(), self.year, self.key)


_LATEX = LatexNodes2Text()


def _plain(value: str) -> str:
    """BibTeX text as readers see it: LaTeX accents and commands decoded, braces dropped. The
    LaTeX decoder is slow, so it only sees values that contain a command."""
    if "\\" in value:
        value = _LATEX.latex_to_text(value)
    return re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()


def _field(fields: dict[str, object], name: str) -> str:
    return _plain(str(fields.get(name, "")))


def _initials(given: list[str]) -> str:
    """`["Neel"]` → `N.`; `["Jean-Paul"]` → `J.-P.`"""
    return " ".join("-".join(part[:1] + "." for part in name.split("-") if part) for name in given if name)


def _names(value: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    authors, family = [], []
    for person in value if isinstance(value, list) else []:
        last = _plain(" ".join(person.von + person.last + person.jr))
        if last == "others" and not person.first:  # BibTeX's `and others`
            authors.append("et al.")
            continue
        first = _initials([_plain(p) for p in person.first])
        family.append(last)
        authors.append(f"{last}, {first}" if first else last)
    return tuple(authors), tuple(family)


def _reference(key: str, kind: str, fields: dict[str, object], line: int) -> Reference:
    authors, family = _names(fields.get("author") or fields.get("editor"))
    journal = _field(fields, "journal")
    arxiv = ""
    eprint = _field(fields, "eprint")
    if eprint and (_field(fields, "archiveprefix").lower() == "arxiv" or ARXIV_ID.fullmatch(eprint)):
        arxiv = eprint
    elif "arxiv" in (journal + _field(fields, "url")).lower():
        match = ARXIV_ID.search(journal + " " + _field(fields, "url"))
        arxiv = match[1] if match else ""
    venue = journal or _field(fields, "booktitle") or _field(fields, "howpublished") or _field(fields, "publisher") \
        or _field(fields, "school") or _field(fields, "institution")
    url = _field(fields, "url")
    return Reference(key=key, kind=kind, authors=authors, family_names=family, year=_field(fields, "year"),
                     title=_field(fields, "title"), venue=venue, doi=_field(fields, "doi").removeprefix("https://doi.org/"),
                     arxiv=arxiv, url=url if url.lower().startswith(("http://", "https://")) else "", line=line)


def _parse(text: str) -> Library:
    return bibtexparser.parse_string(text, append_middleware=[  # type: ignore[attr-defined]
        middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()])


def _first_fields(entry: Entry, line: int) -> list[tuple[Entry, int]]:
    """The entry again, keeping the first of each repeated field, parsed like the others."""
    seen: dict[str, str] = {}
    for item in entry.fields:
        seen.setdefault(item.key.lower(), f"{item.key} = {item.value}")
    parsed = _parse(f"@{entry.entry_type}{{{entry.key},\n" + ",\n".join(seen.values()) + "\n}\n").entries
    return [(found, line) for found in parsed]


def load_bibliography(folder: Path, relpath: str, max_bytes: int) -> tuple[dict[str, Reference], list[Diagnostic]]:
    """Parse `folder/relpath` (already checked to lie inside the folder)."""
    path = f"papers/{folder.name}/{relpath}"
    file = folder / relpath
    size = file.stat().st_size
    if size > max_bytes:
        return {}, [error(path, 1, 1, "bib-too-large", f"the bibliography is {size} bytes, over the limit of {max_bytes}",
                          "remove unused entries")]
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return {}, [error(path, line, 1, "encoding", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                          "re-encode the bibliography as UTF-8")]
    library = _parse(text)
    problems: list[Diagnostic] = []
    entries = [(entry, (entry.start_line or 0) + 1) for entry in library.entries]
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(error(path, line, 1, "bib-duplicate-key", f"the key `{block.key}` is defined twice",
                                  "keep one entry per key"))
        elif isinstance(block, DuplicateFieldKeyBlock) and isinstance(block.ignore_error_block, Entry):
            # BibTeX itself warns and keeps the first value; real bibliographies have such entries.
            entry = block.ignore_error_block
            problems.append(warning(path, line, 1, "bib-duplicate-field", f"the entry `{entry.key}` repeats a field",
                                    "remove the repeated field; the first value is used"))
            entries += _first_fields(entry, line)
        elif isinstance(block, ParsingFailedBlock):
            reason = next(iter(str(block.error or "").splitlines()), "") or "malformed entry"
            problems.append(error(path, line, 1, "bib-syntax", f"malformed BibTeX entry: {reason}",
                                  "check the braces and commas of this entry"))
    references = {}
    for entry, line in entries:
        fields = {f.key.lower(): f.value for f in entry.fields}
        references[entry.key] = _reference(entry.key, entry.entry_type.lower(), fields, line)
    return references, problems


def reference_id(key: str) -> str:
    """The HTML id of a reference-list entry: the key, with characters ids handle badly replaced."""
    return "ref-" + re.sub(r"[^A-Za-z0-9_.:-]", "-", key)


def _link(url: str, text: str) -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>'


def format_reference(ref: Reference) -> str:
    """The journal style: Authors (Year). Title. *Venue*. DOI / arXiv / URL as links."""
    authors = ", ".join(ref.authors[:-1]) + (", & " if len(ref.authors) > 2 else " & ") + ref.authors[-1] \
        if len(ref.authors) > 1 else (ref.authors[0] if ref.authors else "")
    parts = [f"{escape(authors)} ({escape(ref.year or 'n.d.')})." if authors else f"({escape(ref.year or 'n.d.')})."]
    if ref.title:
        parts.append(escape(ref.title.rstrip(".")) + ".")
    if ref.venue:
        parts.append(f"<em>{escape(ref.venue.rstrip('.'))}</em>.")
    if ref.doi:
        parts.append(_link(f"https://doi.org/{ref.doi}", f"doi:{ref.doi}"))
    if ref.arxiv:
        parts.append(_link(f"https://arxiv.org/abs/{ref.arxiv}", f"arXiv:{ref.arxiv}"))
    if ref.url and not ref.doi and not ref.arxiv:
        parts.append(_link(ref.url, ref.url))
    return " ".join(parts)
