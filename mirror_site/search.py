"""Output: search without a server. The search page, and an index of Mirror's own design that
`static/search.js` reads in the browser (Pagefind over the full text was measured far over the budget
of OUTPUTS.md, so this indexes a compact record per paper instead):

- `search/manifest.json` — small: the tokeniser's settings, the field weights, the first term of each
  term shard, and the folder holding the rest;
- `search/<hash>/t-<n>.json` — term shard n: a sorted range of the inverted index, `{term: postings}`,
  each posting `(doc gap << 7) | field mask`; a query fetches only the shards its words fall in;
- `search/<hash>/d-<n>.json` — record chunk n: `DOCS_PER_CHUNK` papers' records (title, authors, date,
  URL, abstract, …), fetched only for the results shown.

The folder is named by the hash of everything in it, so a browser holding an old manifest never mixes
it with new shards, and hosts may cache the folder for ever. Doc ids follow `Site.papers` (newest
first): ties in score rank newer papers first without storing dates. Bytes are deterministic: sorted
keys, no clock.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .assemble import PublishedPaper, Site
from .jsonfile import dumps_line
from .model import OutputFile
from .pages import environment, render_template
from .records import has_text
from .urls import paper_url
from .views import site_view

FORMAT = 1  #: bumped when `search.js` could no longer read an older index
SEARCH_DIR = "search/"
MANIFEST = SEARCH_DIR + "manifest.json"

#: Indexed fields and their weights, in the order of the mask bits (bit 0 = title). A title match
#: outranks everything else; the abstract, long and wordy, counts least.
FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 10), ("keywords", 6), ("models", 6), ("authors", 5), ("methods", 4), ("finding", 3), ("abstract", 1))
MASK_BITS = 7  #: one bit per field; the low bits of every posting
assert len(FIELDS) <= MASK_BITS

#: The record of each paper, as a list in this column order (names written once, in the manifest).
COLUMNS = ("url", "title", "authors", "date", "abstract", "keywords", "models", "methods", "finding", "status")

MIN_LENGTH = 2  #: shorter tokens carry no meaning alone ("a", the "2" of "gpt-2") and match everything
PREFIX_MIN = 3  #: query words this long also match longer terms ("circuit" → "circuits")
PREFIX_SHARDS = 4  #: at most this many shards are fetched for one prefix, which bounds a query's bytes
SHARD_BYTES = 16_000  #: a term shard is closed once it reaches this many bytes
DOCS_PER_CHUNK = 4  #: records per chunk: small, since the results of a query are scattered over the chunks

# Words too common to tell papers apart. Kept short on purpose: "not", "no" and "without" stay
# searchable, since negative results are first-class here.
STOPWORDS = frozenset(
    "about above after again also an and are as at be been being between both but by can could did do does "
    "each for from had has have how if in into is it its of on or our over such than that the their them then "
    "there these they this those through to under using via was we were what when where which while who will "
    "with".split())

_WORD = re.compile(r"[^\W_]+")  # letters and digits: `[\p{L}\p{N}]+` in search.js


def fold(text: str) -> str:
    """Lowercase without accents: `Über` and `uber` are one term. The same steps as search.js
    (`toLowerCase`, NFKD, drop marks), in the same order."""
    lowered = text.lower()
    if lowered.isascii():  # the common case, and the expensive step skipped
        return lowered
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.category(c).startswith("M"))


def tokens(text: str) -> list[str]:
    """The index terms of `text`, in order, repeats kept. search.js tokenises queries identically."""
    return [t for t in _WORD.findall(fold(text)) if len(t) >= MIN_LENGTH and t not in STOPWORDS]


def _js_order(term: str) -> bytes:
    """Sort key of terms as JavaScript compares strings (UTF-16 code units), so the client's binary
    search over shard boundaries agrees with the order they were cut in."""
    return term.encode("utf-16-be")


def paper_record(entry: PublishedPaper, base_path: str) -> list[Any]:
    """What a result shows and what is indexed, in `COLUMNS` order. A withdrawn paper is a
    tombstone: it stays findable by title and authors, its abstract is no longer published."""
    paper = entry.paper
    models = [str(m["name"]) for m in paper.meta.get("subject_models", [])]
    abstract = entry.body.abstract_text if has_text(paper) else ""
    return [paper_url(base_path, paper.slug), paper.title, [a.name for a in paper.authors], paper.date, abstract,
            list(paper.keywords), models, list(paper.methods), paper.finding, paper.status]


def field_texts(entry: PublishedPaper, record: list[Any]) -> tuple[str, ...]:
    """The text of each field of `FIELDS`, in order. AI authors are also found by their model."""
    paper = entry.paper
    authors = " ".join(f"{a.name} {a.model}" for a in paper.authors)
    by_name = dict(zip(COLUMNS, record, strict=True))
    return (paper.title, " ".join(by_name["keywords"]), " ".join(by_name["models"]), authors,
            " ".join(by_name["methods"]), paper.finding, by_name["abstract"])


def inverted_index(texts: Iterable[tuple[str, ...]]) -> dict[str, array[int]]:
    """term → postings `(doc << 7) | mask`, in doc order. Arrays of machine ints, not lists of
    Python ints: at 10,000 papers there are over a million postings."""
    index: dict[str, array[int]] = {}
    for doc, fields in enumerate(texts):
        masks: dict[str, int] = {}
        for bit, text in enumerate(fields):
            for term in set(tokens(text)):  # a word repeated in a field counts once: the mask has one bit for it
                masks[term] = masks.get(term, 0) | (1 << bit)
        for term, mask in masks.items():
            index.setdefault(term, array("Q")).append(doc << MASK_BITS | mask)
    return index


def _postings(values: array[int]) -> str:
    """Doc ids as gaps from the previous posting: small numbers, short JSON."""
    encoded, previous = [], 0
    for value in values:
        doc = value >> MASK_BITS
        encoded.append(str((doc - previous) << MASK_BITS | value & ((1 << MASK_BITS) - 1)))
        previous = doc
    return "[" + ",".join(encoded) + "]"


def term_shards(index: dict[str, array[int]]) -> list[tuple[str, bytes]]:
    """(first term, JSON bytes) of each shard: consecutive terms until one passes `SHARD_BYTES`."""
    shards: list[tuple[str, bytes]] = []
    parts: list[str] = []
    first, size = "", 0
    for term in sorted(index, key=_js_order):
        part = dumps_line(term).decode("utf-8").rstrip("\n") + ":" + _postings(index[term])
        if not parts:
            first = term
        parts.append(part)
        size += len(part.encode("utf-8")) + 1
        if size >= SHARD_BYTES:
            shards.append((first, ("{" + ",".join(parts) + "}\n").encode("utf-8")))
            parts, size = [], 0
    if parts:
        shards.append((first, ("{" + ",".join(parts) + "}\n").encode("utf-8")))
    return shards


def index_files(site: Site) -> Iterator[OutputFile]:
    """The manifest, then the term shards and record chunks in one folder named by their hash."""
    base_path = site.config.base_path
    records = [paper_record(entry, base_path) for entry in site.papers]
    index = inverted_index(field_texts(entry, record) for entry, record in zip(site.papers, records, strict=True))
    shards = term_shards(index)
    del index  # the largest value here; gone before the records are encoded
    files = [(f"t-{n}.json", data) for n, (_, data) in enumerate(shards)]
    files += [(f"d-{n}.json", dumps_line(records[start:start + DOCS_PER_CHUNK]))
              for n, start in enumerate(range(0, len(records), DOCS_PER_CHUNK))]
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    folder = f"{SEARCH_DIR}{digest.hexdigest()[:16]}/"
    yield OutputFile(MANIFEST, dumps_line({
        "format": FORMAT, "papers": len(records), "columns": list(COLUMNS), "dir": folder.removeprefix(SEARCH_DIR),
        "fields": [name for name, _ in FIELDS], "weights": [weight for _, weight in FIELDS], "mask_bits": MASK_BITS,
        "min_length": MIN_LENGTH, "prefix_min": PREFIX_MIN, "prefix_shards": PREFIX_SHARDS,
        "stopwords": sorted(STOPWORDS), "terms": [first for first, _ in shards], "docs_per_chunk": DOCS_PER_CHUNK,
    }))
    for name, data in files:
        yield OutputFile(folder + name, data)


def search_files(site: Site, templates: Path) -> Iterator[OutputFile]:
    """`/search/` (the page) and its index."""
    manifest_url = site.config.base_path + MANIFEST
    yield OutputFile(SEARCH_DIR + "index.html",
                     render_template(environment(templates), "search.html", templates, site=site_view(site.config),
                                     search={"manifest_url": manifest_url, "papers": len(site.papers)}))
    yield from index_files(site)
