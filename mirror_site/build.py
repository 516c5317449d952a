"""`mirror build` and `mirror check`, read as a table of contents of the pipeline:
load → validate → render → assemble → write."""

from __future__ import annotations

import datetime
import gc
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from .assemble import PublishedPaper, Site, assemble
from .config import Config, load_config
from .corpus import published_slugs
from .diagnostics import Diagnostic, error, warning
from .executor import ExecutorFailed, chunk_size, open_executor, run_ordered, workers
from .load import paper_folders
from .memo import Memo
from .outputs import site_outputs
from .pages import TemplateFault
from .prepare import Prepared, Reuse, Settings, prepare_paper
from .relations import mirror_links
from .render import RenderOptions
from .stopwatch import Stopwatch
from .store import Store, StoreFailed, discard, open_store
from .validate import check_collisions
from .write import Collision, WriteFailed, count, output_lock, previous_site, publish, recover

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_HELD_BACK = 0, 1, 2, 3


@dataclass(frozen=True)
class BuildOptions:
    root: Path  #: the journal: `mirror.toml`, `papers/`, `templates/`, `static/`
    out: Path  #: the output directory, replaced as a whole
    write: bool = True  #: False for `mirror check`
    strict: bool = False  #: warnings and held-back papers fail the build
    jobs: int = 0  #: render processes; 0 means one per core
    base_url: str = ""  #: overrides `base_url` of mirror.toml
    only: frozenset[str] | None = None  #: check only these slugs
    drafts: bool = False  #: publish `draft: true` papers too (`mirror serve --drafts`, never `mirror build`)
    progress: Callable[[int, int], None] | None = field(default=None, compare=False)
    executor: str = ""  #: a Dask scheduler address (`tcp://host:port`) to run the per-paper steps on
    pool: Executor | None = field(default=None, compare=False)  #: an executor already running (`mirror serve`)
    previous: Path | None = None  #: the site to hard-link unchanged files from (default: `out` itself)
    #: `mirror serve`: the previous build's prepared papers and the slugs whose folders changed since
    #: (reported by the file watcher); the others are taken as they were, without reading their files.
    reuse: Reuse | None = field(default=None, compare=False)
    #: `mirror serve`: per-paper values of the whole-site outputs, kept from the previous build (memo.py).
    memo: Memo | None = field(default=None, compare=False)


@dataclass(frozen=True)
class BuildResult:
    exit_code: int
    diagnostics: tuple[Diagnostic, ...]
    published: tuple[str, ...] = ()
    held_back: tuple[str, ...] = ()
    drafts: tuple[str, ...] = ()  #: published slugs that are drafts (only with `BuildOptions.drafts`)
    failure: str = ""  #: why the build failed as a whole (nothing was written)
    files: int = 0
    timings: tuple[tuple[str, float], ...] = field(default=(), compare=False)  #: seconds per stage (`--timings`)
    prepared: Reuse | None = field(default=None, compare=False)  #: what `mirror serve` hands the next build


def build_date() -> datetime.date:
    """Today, or the day of `SOURCE_DATE_EPOCH` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date()
    return datetime.datetime.now(datetime.UTC).date()


def prepare_all(settings: Settings, folders: list[Path], executor: Executor | None, workers_: int,
                progress: Callable[[int, int], None] | None, reuse: Reuse | None = None) -> list[Prepared]:
    """Load, validate and render every paper folder (prepare.py), in parallel and cached; with
    `reuse`, only the folders that changed since the previous build of the same settings."""
    kept = reuse.unchanged(settings) if reuse else {}
    todo = [folder for folder in folders if folder.name not in kept]
    made = iter(run_ordered(executor, partial(prepare_paper, settings), todo, chunk_size(len(todo), workers_),
                            ahead=4 * workers_))
    results = []
    for done, folder in enumerate(folders, start=1):
        results.append(kept[folder.name] if folder.name in kept else next(made))
        if progress:
            progress(done, len(folders))
    return results


def published_entry(prepared: Prepared) -> PublishedPaper:
    """The light entry of a prepared paper: texts and bodies stay in the store until its pages are made."""
    assert prepared.paper is not None
    earlier = tuple(PublishedPaper(old, body, body_key=key, key=prepared.key)
                    for old, body, key in zip(prepared.earlier, prepared.bodies[1:], prepared.body_keys[1:], strict=True))
    return PublishedPaper(prepared.paper, prepared.bodies[0], earlier, prepared.reviews, body_key=prepared.body_keys[0],
                          key=prepared.key)


def check_mirror_citations(entries: list[PublishedPaper], existing: set[str]) -> tuple[list[PublishedPaper], list[Diagnostic]]:
    """`[@mirror:slug]` and relation targets must name a paper of this journal. Linking to one that
    exists but is not published (held back, draft, scheduled) is a warning: it will be linked once
    published. Linking to one that does not exist holds the linking paper back."""
    held = set(existing)
    problems: list[Diagnostic] = []
    while True:
        published = {e.paper.slug for e in entries}
        keep = []
        for entry in entries:
            missing = [(slug, line) for _, slug, line in mirror_links(entry.paper, entry.body) if slug not in published]
            unknown = [(slug, line) for slug, line in missing if slug not in held]
            for slug, line in missing:
                known = slug in held
                make = warning if known else error
                problems.append(make(entry.paper.source.path, line, 1,
                                     "mirror-link-held" if known else "mirror-link-unknown",
                                     f"the Mirror paper `{slug}` is {'not published' if known else 'not in this journal'}",
                                     "it will be linked once it is published" if known else "check the slug"))
            if unknown:
                held.add(entry.paper.slug)  # papers citing this one now cite an unpublished paper
            else:
                keep.append(entry)
        if len(keep) == len(entries):
            return keep, sorted(set(problems))
        entries = keep


def _policy(previous: frozenset[str], published: set[str], folders: set[str], held: set[str]) -> str:
    """A published paper may not silently disappear (ARCHITECTURE.md, the error policy). `published`
    includes the aliases of published papers: a renamed paper keeps its old URL as a redirect."""
    for slug in sorted(previous - published):
        if slug in held:
            return (f"papers/{slug}/paper.md was published and cannot be published now (see the errors above); "
                    "fix it, or take it down explicitly with `status: withdrawn`")
        if slug in folders:
            return (f"papers/{slug}/paper.md was published and is now a draft or dated in the future; "
                    "a published paper stays published: take it down explicitly with `status: withdrawn`")
        return (f"papers/{slug}/ was published but its folder is gone; restore it and set "
                "`status: withdrawn` to take it down (its URL stays as a tombstone)")
    return ""


def build(options: BuildOptions) -> BuildResult:
    with long_lived():  # from the start: `mirror serve` holds the previous build's papers and values
        return _configured(options)


def _configured(options: BuildOptions) -> BuildResult:
    config, problems = load_config(options.root)
    if problems:
        return BuildResult(EXIT_USAGE, tuple(problems), failure="the configuration is invalid")
    if options.base_url:
        if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", options.base_url):
            return BuildResult(EXIT_USAGE, (), failure=f"--base-url must be an absolute http(s) URL, not `{options.base_url}`")
        config = config.with_base_url(options.base_url)
    lock = output_lock(options.out) if options.write else nullcontext()
    try:
        with lock:
            if options.write:
                recover(options.out)
            return _build(config, options)
    except WriteFailed as exc:
        return BuildResult(EXIT_FAILED, (), failure=str(exc))


def _build(config: Config, options: BuildOptions) -> BuildResult:
    store, temporary = open_store(options.root)
    try:
        if options.pool is not None:
            return _build_with(config, options, store, options.pool)
        folders = paper_folders(options.root, options.only)
        with open_executor(options.jobs, options.executor, len(folders)) as executor:
            return _build_with(config, options, store, executor)
    except ExecutorFailed as exc:
        return BuildResult(EXIT_USAGE, (), failure=str(exc))
    except StoreFailed as exc:  # a full disk shows here first: the cache is written before the site
        return BuildResult(EXIT_FAILED, (), failure=f"could not write the site: {exc}")
    except LookupError as exc:
        return BuildResult(EXIT_FAILED, (), failure=str(exc))
    finally:
        discard(temporary)


def _build_with(config: Config, options: BuildOptions, store: Store, executor: Executor | None) -> BuildResult:
    clock = Stopwatch()
    previous = published_slugs(options.out)
    today = build_date()
    folders = paper_folders(options.root, options.only)
    settings = Settings(options.root, config, RenderOptions(limits=config.limits), store.folder, options.drafts, today)
    prepared = prepare_all(settings, folders, executor, workers(options.jobs), options.progress, options.reuse)
    clock.lap("load, validate, render")
    gc.freeze()  # this build's papers too, until `long_lived` (in `build`) hands everything back
    entries, result = decide(prepared, config, options, previous)
    clock.lap("check the journal")
    result = replace(result, prepared=Reuse(settings, {p.slug: p for p in prepared}))
    if result.failure:
        return replace(result, timings=clock.laps)
    site = assemble(config, entries, today, store, options.memo)
    written, failed = write_site(site, options, previous is not None, executor, clock)
    if failed:
        return replace(result, exit_code=EXIT_FAILED, failure=failed[0], diagnostics=result.diagnostics + failed[1],
                       timings=clock.laps)
    if options.write and options.only is None:
        store.tidy({used for p in prepared for used in p.used})
    return replace(result, files=written, timings=clock.laps)


@contextmanager
def long_lived() -> Iterator[None]:
    """Exempt what exists now from the cyclic garbage collector until the block ends (the build
    exempts its papers too, once they are read). In `mirror serve` that is the previous build's
    papers and kept values, and with this build's, millions of objects at 10,000 papers: full
    collections set off by the many objects a build creates would walk all of them again and again
    (a third of a one-paper rebuild, and a 0.45 s pause at the start of one rebuild in three).
    Reference counting still frees all that is dropped; `unfreeze` hands the rest back, so a
    long-running preview does not leak."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def decide(prepared: list[Prepared], config: Config, options: BuildOptions,
           previous: frozenset[str] | None) -> tuple[list[PublishedPaper], BuildResult]:
    """What is published and what is held back, and whether the build may go on (the error policy)."""
    diagnostics = [d for p in prepared for d in p.diagnostics]
    held = {p.slug for p in prepared if p.held}
    due = [p for p in prepared if not p.held and p.due]
    clashing, found = check_collisions([p.paper for p in due if p.paper], held, previous or frozenset())
    diagnostics += found
    held |= clashing
    entries: list[PublishedPaper] = []
    for paper in (p for p in due if p.slug not in clashing):
        problems = [d for body in paper.bodies for d in body.diagnostics]
        diagnostics += problems
        if any(d.level == "error" for d in problems):
            held.add(paper.slug)
        else:
            entries.append(published_entry(paper))
    every_folder = {p.slug for p in prepared}
    entries, found = check_mirror_citations(entries, held | every_folder)
    diagnostics += found
    held |= {p.slug for p in due if p.slug not in clashing} - {e.paper.slug for e in entries}

    result = BuildResult(EXIT_HELD_BACK if held else EXIT_OK, tuple(sorted(diagnostics)),
                         published=tuple(sorted(e.paper.slug for e in entries)), held_back=tuple(sorted(held)),
                         drafts=tuple(sorted(e.paper.slug for e in entries if e.paper.draft)))
    failure = next((f"{d.path} was changed after it was published; restore it" for d in diagnostics
                    if d.code == "version-tampered"), "")
    if options.only is None:
        published = {e.paper.slug for e in entries} | {a for e in entries for a in e.paper.meta.get("aliases", [])}
        failure = failure or _policy(previous or frozenset(), published, every_folder, held)
    if not failure and 0 <= config.max_held_back < len(held):
        failure = f"{len(held)} papers are held back, more than max_held_back = {config.max_held_back}"
    if not failure and options.strict and (held or any(d.level == "warning" for d in diagnostics)):
        failure = "--strict: " + ("papers are held back" if held else "there are warnings")
    return entries, replace(result, exit_code=EXIT_FAILED, failure=failure) if failure else result


def write_site(site: Site, options: BuildOptions, is_previous_build: bool, executor: Executor | None,
               clock: Stopwatch) -> tuple[int, tuple[str, tuple[Diagnostic, ...]] | None]:
    """Make every output and write it (`mirror check`: make and count); the number of files, or why it failed."""
    reuse_from = options.previous or options.out
    manifest = previous_site(reuse_from)
    outputs = clock.each(site_outputs(site, options.root, manifest, executor, workers(options.jobs)))
    try:
        written = (publish(options.out, outputs, is_previous_build, manifest, reuse_from) if options.write
                   else count(outputs))
    except TemplateFault as fault:
        return 0, ("a site template is broken", (error(fault.path, fault.line, 1, "template", fault.message,
                                                       "fix the site template"),))
    except Collision as collision:
        return 0, (str(collision), ())
    return written, None
