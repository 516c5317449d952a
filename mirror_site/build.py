"""`mirror build` and `mirror check`, read as a table of contents of the pipeline:
load → validate → render → assemble → write."""

from __future__ import annotations

import datetime
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from .assemble import PublishedPaper, Site, assemble
from .assets import paper_files, static_files
from .config import Config, load_config
from .corpus import corpus_files, published_slugs
from .diagnostics import Diagnostic, error
from .load import load_papers
from .model import OutputFile, Paper, RenderedBody
from .pages import TemplateFault, pages
from .render import RenderOptions, render_body
from .validate import check_collisions, validate_paper
from .write import WriteFailed, output_lock, publish, recover

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
    progress: Callable[[int, int], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class BuildResult:
    exit_code: int
    diagnostics: tuple[Diagnostic, ...]
    published: tuple[str, ...] = ()
    held_back: tuple[str, ...] = ()
    failure: str = ""  #: why the build failed as a whole (nothing was written)
    files: int = 0


def build_date() -> datetime.date:
    """Today, or the day of `SOURCE_DATE_EPOCH` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date()
    return datetime.datetime.now(datetime.UTC).date()


def _render_safely(paper: Paper, options: RenderOptions) -> RenderedBody:
    """A renderer bug on one paper holds that paper back instead of crashing the build."""
    try:
        return render_body(paper, options)
    except Exception as exc:  # noqa: BLE001 - any failure of third-party parsing code
        problem = error(paper.source.path, paper.source.body_line, 1, "render-failed",
                        f"the Markdown could not be rendered ({type(exc).__name__}: {exc})",
                        "simplify the construct near this place; please report it as a Mirror bug")
        return RenderedBody("", "", (), (), (problem,))


def render_all(papers: list[Paper], options: RenderOptions, jobs: int,
               progress: Callable[[int, int], None] | None) -> Iterator[RenderedBody]:
    """Render in parallel when it pays; results come back in the order of `papers`."""
    workers = jobs or os.cpu_count() or 1
    with ExitStack() as stack:
        if workers == 1 or len(papers) < 16:
            results: Iterable[RenderedBody] = (_render_safely(p, options) for p in papers)
        else:
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=workers))
            chunk = max(1, len(papers) // (workers * 8))
            results = pool.map(_render_safely, papers, [options] * len(papers), chunksize=chunk)
        for done, body in enumerate(results, start=1):
            if progress:
                progress(done, len(papers))
            yield body


def _policy(previous: frozenset[str], published: set[str], folders: set[str]) -> str:
    """A published paper may not silently disappear (ARCHITECTURE.md, the error policy)."""
    for slug in sorted(previous - published):
        if slug in folders:
            return (f"papers/{slug}/paper.md was published and cannot be published now (see the errors above); "
                    "fix it, or take it down explicitly with `status: withdrawn`")
        return (f"papers/{slug}/ was published but its folder is gone; restore it and set "
                "`status: withdrawn` to take it down (its URL stays as a tombstone)")
    return ""


def site_files(root: Path, site: Site) -> Iterator[OutputFile]:
    """Every output module's files: computed as data, written in one place."""
    yield from pages(site, root / "templates")
    yield from static_files(root / "static")
    yield from paper_files(site)
    yield from corpus_files(site)


def collect(files: Iterable[OutputFile]) -> list[OutputFile] | str:
    """All outputs, or a message naming the first path two outputs both claim."""
    listed = list(files)
    counts = Counter(f.path.casefold() for f in listed)
    clash = sorted(path for path, n in counts.items() if n > 1)
    if clash:
        return f"two outputs would be written to the same path: {clash[0]}"
    return sorted(listed, key=lambda f: f.path)


def build(options: BuildOptions) -> BuildResult:
    config, problems = load_config(options.root)
    if problems:
        return BuildResult(EXIT_USAGE, tuple(problems), failure="the configuration is invalid")
    if options.base_url:
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
    previous = published_slugs(options.out)
    is_previous_build = previous is not None
    previous = previous or frozenset()
    today = build_date()

    loaded = load_papers(options.root, config, options.only)
    diagnostics = list(loaded.diagnostics)
    held = set(loaded.held_back)
    valid: list[Paper] = []
    for source in loaded.papers:
        paper, found = validate_paper(source, config)
        diagnostics += found
        if paper is None:
            held.add(source.slug)
        elif not paper.draft and paper.date <= today.isoformat():
            valid.append(paper)
    clashing, found = check_collisions(valid, previous)
    diagnostics += found
    held |= clashing
    valid = [p for p in valid if p.slug not in clashing]

    render_options = RenderOptions(limits=config.limits)
    entries: list[PublishedPaper] = []
    for paper, body in zip(valid, render_all(valid, render_options, options.jobs, options.progress), strict=True):
        diagnostics += body.diagnostics
        if any(d.level == "error" for d in body.diagnostics):
            held.add(paper.slug)
        else:
            entries.append(PublishedPaper(paper, body))

    result = BuildResult(EXIT_HELD_BACK if held else EXIT_OK, tuple(sorted(diagnostics)),
                         published=tuple(sorted(e.paper.slug for e in entries)), held_back=tuple(sorted(held)))
    failure = _policy(previous, {e.paper.slug for e in entries},
                      {p.slug for p in loaded.papers} | set(loaded.held_back)) if options.only is None else ""
    if not failure and 0 <= config.max_held_back < len(held):
        failure = f"{len(held)} papers are held back, more than max_held_back = {config.max_held_back}"
    if not failure and options.strict and (held or any(d.level == "warning" for d in diagnostics)):
        failure = "--strict: " + ("papers are held back" if held else "there are warnings")
    if failure:
        return replace(result, exit_code=EXIT_FAILED, failure=failure)

    site = assemble(config, entries, today)
    try:
        files = collect(site_files(options.root, site))
    except TemplateFault as fault:
        problem = error(fault.path, fault.line, 1, "template", fault.message, "fix the site template")
        return replace(result, exit_code=EXIT_FAILED, diagnostics=result.diagnostics + (problem,),
                       failure="a site template is broken")
    if isinstance(files, str):
        return replace(result, exit_code=EXIT_FAILED, failure=files)
    written = publish(options.out, files, is_previous_build) if options.write else len(files)
    return replace(result, files=written)
