"""The corpus as the build writes it: one gzip shard per issue, each made in the executor and only
when one of its papers changed, so that one edited paper rewrites one shard. A journal whose records
fit in `corpus_shard_bytes` gets the single `papers.jsonl` instead (corpus.py decides by the total
size of the records, which the manifest remembers per record so that unchanged shards need not be
made again to know it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from .assemble import PublishedPaper, Site
from .config import Config
from .corpus import SINGLE, CorpusFile, compress, description_files, record_line, record_order, shard_path
from .executor import run_ordered
from .fingerprint import engine_version, fingerprint
from .manifest import Manifest
from .model import OutputFile
from .relations import Backlink
from .store import Store
from .write import Made, Reused

RECORD_SIZES = "corpus-record-bytes"  #: manifest facts: record fingerprint → bytes of its line


@dataclass(frozen=True)
class ShardJob:
    entries: tuple[PublishedPaper, ...]  #: light, oldest first
    backlinks: tuple[tuple[Backlink, ...], ...]  #: of each entry
    config: Config
    store: Path | None


@dataclass(frozen=True)
class Shard:
    data: bytes  #: gzip
    sizes: tuple[int, ...]  #: bytes of each record's line


def make_shard(job: ShardJob) -> Shard:
    """Runs in the executor: the papers' records, read back from the store, compressed."""
    store = Store(job.store) if job.store else None
    lines = [record_line(entry, job.config, store, links) for entry, links in zip(job.entries, job.backlinks, strict=True)]
    return Shard(compress(lines), tuple(map(len, lines)))


def record_key(entry: PublishedPaper, config_key: str, backlinks: tuple[Backlink, ...]) -> str:
    """A record depends on its paper's folder, its bodies, the configuration and who links to it
    (records.py)."""
    if not entry.key:
        return ""
    return fingerprint("record", engine_version(), config_key, entry.key, entry.body_key,
                       [(old.key, old.body_key) for old in entry.earlier], backlinks)


def corpus_outputs(site: Site, previous: Manifest | None, executor: Executor | None, workers: int) -> Iterator[Made | Reused]:
    """The record files, then `index.json`, `changes.json` and `croissant.json` describing them.
    A function, not a generator: the shards to make go to the executor now, to be made while the
    build writes the outputs that come before the corpus."""
    config, config_key = site.config, site.config_key
    known: dict[str, int] = dict(previous.facts.get(RECORD_SIZES, {})) if previous else {}
    ordered = record_order(site)
    keys = {entry.paper.slug: record_key(entry, config_key, site.links_to(entry.paper.slug)) for entry in ordered}
    everything = list(keys.values())
    single_key = fingerprint("corpus-single", engine_version(), config_key, everything) if all(everything) else ""
    fits = all(k in known for k in everything) and sum(known[k] for k in everything) <= config.corpus_shard_bytes
    shards = None if fits else _start_shards(site, ordered, keys, known, previous, executor, workers)
    return _corpus(site, ordered, keys, known, single_key, previous, shards)


def _corpus(site: Site, ordered: list[PublishedPaper], keys: dict[str, str], known: dict[str, int], single_key: str,
            previous: Manifest | None, shards: tuple[list[PlannedShard], Iterator[Shard]] | None) -> Iterator[Made | Reused]:
    files = (yield from _shards(site, known, previous, *shards)) if shards is not None else None
    if files is None:  # known to fit in one file, or the shards were made and all the records fit after all
        files = yield from _single(site, ordered, keys, known, single_key, previous)
    yield Made("corpus:descriptions", "", description_files(site, tuple(files)))


def _facts(keys: Sequence[str], sizes: list[int]) -> tuple[tuple[str, str, object], ...]:
    return tuple((RECORD_SIZES, k, n) for k, n in zip(keys, sizes, strict=True) if k)


def _single(site: Site, ordered: list[PublishedPaper], keys: dict[str, str], known: dict[str, int], group: str,
            previous: Manifest | None) -> Generator[Made | Reused, None, list[CorpusFile]]:
    """`papers.jsonl`: reused when no record changed, else made here (it fits in memory by definition)."""
    name, slugs, record_keys = "corpus:" + SINGLE, tuple(e.paper.slug for e in ordered), [keys[e.paper.slug] for e in ordered]
    paths = previous.group(name, group) if previous is not None else None
    if paths is not None and previous is not None:
        sha, size = previous.files[SINGLE]
        yield Reused(name, group, paths, facts=_facts(record_keys, [known[k] for k in record_keys]))
        return [CorpusFile(SINGLE, size, sha, slugs)]
    lines = [record_line(entry, site.config, site.store, site.links_to(entry.paper.slug)) for entry in ordered]
    data = b"".join(lines)
    yield Made(name, group, [OutputFile(SINGLE, data)], facts=_facts(record_keys, [len(line) for line in lines]))
    return [CorpusFile(SINGLE, len(data), hashlib.sha256(data).hexdigest(), slugs)]


@dataclass(frozen=True)
class PlannedShard:
    """One issue's shard: reused from the previous site when its records are unchanged, else made."""

    issue: str  #: YYYY-MM
    entries: tuple[PublishedPaper, ...]
    record_keys: tuple[str, ...]
    name: str  #: its output group
    key: str  #: the group's fingerprint
    reused: tuple[str, ...] | None  #: the previous site's files of the group, when unchanged


def _start_shards(site: Site, ordered: list[PublishedPaper], keys: dict[str, str], known: dict[str, int],
                  previous: Manifest | None, executor: Executor | None,
                  workers: int) -> tuple[list[PlannedShard], Iterator[Shard]]:
    """Every issue's shard planned, and those to make sent to the executor (made in plan order)."""
    plan = []
    for issue, group in groupby(ordered, key=lambda e: e.paper.date[:7]):
        entries = tuple(group)
        record_keys = tuple(keys[e.paper.slug] for e in entries)
        name = "corpus:" + shard_path(issue)
        key = fingerprint("corpus-shard", engine_version(), site.config_key, issue, record_keys) if all(record_keys) else ""
        paths = previous.group(name, key) if previous is not None else None
        plan.append(PlannedShard(issue, entries, record_keys, name, key,
                                 paths if paths and all(k in known for k in record_keys) else None))
    jobs = [ShardJob(shard.entries, tuple(site.links_to(e.paper.slug) for e in shard.entries), site.config,
                     site.store.folder if site.store else None)
            for shard in plan if shard.reused is None]
    return plan, run_ordered(executor, make_shard, jobs, 1, ahead=2 * workers)


def _shards(site: Site, known: dict[str, int], previous: Manifest | None, plan: list[PlannedShard],
            made: Iterator[Shard]) -> Generator[Made | Reused, None, list[CorpusFile] | None]:
    """The shards in order. Until the records are known to pass `corpus_shard_bytes`, shards are
    held back (and dropped, returning None, if they never do)."""
    files: list[CorpusFile] = []
    pending: list[Made | Reused] = []
    total, certain = 0, False
    for planned in plan:
        path, slugs = shard_path(planned.issue), tuple(e.paper.slug for e in planned.entries)
        item: Made | Reused
        if planned.reused is not None and previous is not None:
            sizes = [known[k] for k in planned.record_keys]
            sha, size = previous.files[path]
            item = Reused(planned.name, planned.key, planned.reused, facts=_facts(planned.record_keys, sizes))
            files.append(CorpusFile(path, size, sha, slugs, planned.issue))
        else:
            shard = next(made)
            sizes = list(shard.sizes)
            item = Made(planned.name, planned.key, [OutputFile(path, shard.data)], facts=_facts(planned.record_keys, sizes))
            files.append(CorpusFile(path, len(shard.data), hashlib.sha256(shard.data).hexdigest(), slugs, planned.issue))
        total += sum(sizes)
        pending.append(item)
        if certain or total > site.config.corpus_shard_bytes:
            certain = True
            yield from pending
            pending = []
    return files if certain else None
