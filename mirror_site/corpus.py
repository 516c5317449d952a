"""Output: the machine-readable corpus, the training-data export of the journal.

`corpus/index.json` lists every published paper (and records what is published, which is how the
next build knows never to drop a published paper silently); `corpus/papers.jsonl` holds one whole
paper a line, or, past `corpus_shard_bytes`, gzip shards by issue (`papers-YYYY-MM.jsonl.gz`), so
one edited paper rewrites one shard; `corpus/changes.json` tells harvesters what changed when.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from . import __version__
from .assemble import PublishedPaper, Site, full_entry
from .config import Config
from .croissant import CROISSANT, croissant
from .jsonfile import Compact, compact, dumps, dumps_line
from .model import OutputFile
from .records import SCHEMA_VERSION, full_record, metadata, paper_urls
from .relations import Backlink
from .store import Store
from .urls import site_url

INDEX = "corpus/index.json"
CHANGES = "corpus/changes.json"
SINGLE = "corpus/papers.jsonl"


@dataclass(frozen=True)
class CorpusFile:
    """One file of paper records, as `index.json` and `croissant.json` describe it."""

    path: str
    size: int  #: bytes
    sha256: str
    slugs: tuple[str, ...]
    issue: str = ""  #: `YYYY-MM` of a shard; "" for the single file

    @classmethod
    def of(cls, path: str, data: bytes, slugs: tuple[str, ...], issue: str = "") -> CorpusFile:
        return cls(path, len(data), hashlib.sha256(data).hexdigest(), slugs, issue)

    def describe(self, base_url: str) -> dict[str, Any]:
        return {"path": self.path, "url": site_url(base_url, self.path), "issue": self.issue or None,
                "papers": len(self.slugs), "bytes": self.size, "sha256": self.sha256,
                "encoding": "gzip" if self.path.endswith(".gz") else None}


def shard_path(issue: str) -> str:
    return f"corpus/papers-{issue}.jsonl.gz"


def record_order(site: Site) -> list[PublishedPaper]:
    """Records are listed oldest first, so that an issue's papers are consecutive."""
    return sorted(site.papers, key=lambda e: (e.paper.date, e.paper.slug))


def record_line(entry: PublishedPaper, config: Config, store: Store | None, backlinks: tuple[Backlink, ...]) -> bytes:
    """One paper's line of the corpus, from the complete entry (read back from the store)."""
    return dumps_line(full_record(full_entry(store, entry), config, backlinks))


def compress(lines: list[bytes]) -> bytes:
    # mtime=0 and no file name in the header: the same records always give the same bytes. Level 6
    # (gzip's default): level 9 took a quarter longer on a shard of the benchmark for 1% smaller files.
    return gzip.compress(b"".join(lines), compresslevel=6, mtime=0)


def record_files(site: Site) -> list[tuple[CorpusFile, bytes]]:
    """`papers.jsonl`, or its gzip shards by issue once it would pass the configured size, all made
    here and held at once (corpus_plan.py makes them one shard at a time, in the executor)."""
    lines = {entry.paper.slug: record_line(entry, site.config, site.store, site.links_to(entry.paper.slug))
             for entry in record_order(site)}
    if sum(map(len, lines.values())) <= site.config.corpus_shard_bytes:
        return [(CorpusFile.of(SINGLE, data, tuple(lines)), data) for data in [b"".join(lines.values())]]
    issues: dict[str, list[str]] = defaultdict(list)
    dates = {e.paper.slug: e.paper.date for e in site.papers}
    for slug in lines:
        issues[dates[slug][:7]].append(slug)
    shards = [(issue, compress([lines[s] for s in slugs]), tuple(slugs)) for issue, slugs in sorted(issues.items())]
    return [(CorpusFile.of(shard_path(issue), data, slugs, issue), data) for issue, data, slugs in shards]


def index(site: Site, files: tuple[CorpusFile, ...]) -> dict[str, Any]:
    config = site.config
    where = {slug: file.path for file in files for slug in file.slugs}
    rows = []
    for entry in sorted(site.papers, key=lambda e: e.paper.slug):
        links, corpus_file = site.links_to(entry.paper.slug), where[entry.paper.slug]
        rows.append(site.remember("index-row", entry, partial(index_row, entry, config, links, corpus_file), links, corpus_file))
    return {"generator": f"Mirror {__version__}", "schema_version": SCHEMA_VERSION, "title": config.title,
            "description": config.description, "base_url": config.base_url,
            "schema": site_url(config.base_url, "corpus/schema/index.schema.json"),
            "record_schema": site_url(config.base_url, "corpus/schema/record.schema.json"),
            "changes": site_url(config.base_url, CHANGES), "croissant": site_url(config.base_url, CROISSANT),
            "files": [f.describe(config.base_url) for f in files],
            "papers": rows}


def index_row(entry: PublishedPaper, config: Config, backlinks: tuple[Backlink, ...], corpus_file: str) -> Compact:
    """The paper's line of `index.json`: its metadata and the corpus file that holds its record."""
    return compact({**metadata(entry, config, backlinks), "corpus_file": corpus_file})


def changes(site: Site, files: tuple[CorpusFile, ...]) -> dict[str, Any]:
    """Every dated event of every paper, oldest first: a harvester keeps the last date it saw and
    fetches the records of later events. Dates come from the papers, never from the build."""
    where = {slug: file.path for file in files for slug in file.slugs}
    events = []
    for entry in site.papers:
        corpus_file = where[entry.paper.slug]
        events += site.remember("change-events", entry, partial(paper_events, entry, site.config, corpus_file), corpus_file)
    events.sort()
    return {"generator": f"Mirror {__version__}", "schema_version": SCHEMA_VERSION,
            "latest": events[-1][0][0] if events else None, "events": [encoded for _, encoded in events]}


def paper_events(entry: PublishedPaper, config: Config, corpus_file: str) -> list[tuple[tuple[str, str, int, str], Compact]]:
    """The paper's events in `changes.json`, each with the key that orders them: date, slug, version, kind."""
    paper = entry.paper
    common = {"slug": paper.slug, "json": paper_urls(paper.slug, config)["json"], "corpus_file": corpus_file,
              "sha256": paper.source.sha256}
    events: list[dict[str, Any]] = [{**common, "date": paper.date, "kind": "added", "version": 1, "change": None}]
    for change in paper.meta.get("changes", []):
        events.append({**common, "date": change["date"], "kind": "revised", "version": change["version"],
                       "change": change["kind"]})
    if paper.status != "published" and "retraction" in paper.meta:
        kind = "retracted" if paper.status == "retracted" else "withdrawn"
        events.append({**common, "date": paper.meta["retraction"]["date"], "kind": kind, "version": paper.version,
                       "change": None})
    return [((e["date"], e["slug"], e["version"], e["kind"]), compact(e)) for e in events]


def description_files(site: Site, files: tuple[CorpusFile, ...]) -> Iterator[OutputFile]:
    """`index.json`, `changes.json` and `croissant.json`, which describe the record files."""
    yield OutputFile(INDEX, dumps(index(site, files), rows="papers"))
    yield OutputFile(CHANGES, dumps(changes(site, files), rows="events"))
    yield OutputFile(CROISSANT, dumps(croissant(site, [f.describe(site.config.base_url) for f in files])))


def corpus_files(site: Site) -> Iterator[OutputFile]:
    """The whole corpus made in memory (the build streams it instead: corpus_plan.py)."""
    made = record_files(site)
    yield from (OutputFile(file.path, data) for file, data in made)
    yield from description_files(site, tuple(file for file, _ in made))


def published_slugs(out: Path) -> frozenset[str] | None:
    """Slugs listed in the previous build's index; None when `out` holds no Mirror build."""
    try:
        data = json.loads((out / INDEX).read_text(encoding="utf-8"))
        if not str(data.get("generator", "")).startswith("Mirror"):
            return None
        return frozenset(str(p["slug"]) for p in data["papers"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
