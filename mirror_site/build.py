"""`mirror build` and `mirror check`, read as a table of contents of the pipeline:
load → validate → render → assemble → write."""

from __future__ import annotations

import datetime
import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from .assemble import PublishedPaper, Site, assemble
from .assets import paper_files, static_files
from .cite import cite_files
from .config import Config, load_config
from .corpus import corpus_files, published_slugs
from .corpus_schema import schema_files
from .diagnostics import Diagnostic, error, warning
from .feeds import feed_files
from .listings import listing_feeds, listings
from .llms import llms_files
from .load import load_papers
from .model import OutputFile, Paper, RenderedBody, SourcePaper
from .pages import TemplateFault, pages
from .records import paper_json_files
from .relations import mirror_links
from .render import RenderOptions, render_body
from .reviews import Review, load_reviews
from .robots import robots_files
from .search import search_files
from .sitemap import sitemap_files
from .validate import check_collisions, validate_paper
from .versions import load_frozen, verify
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
    drafts: bool = False  #: publish `draft: true` papers too (`mirror serve --drafts`, never `mirror build`)
    progress: Callable[[int, int], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class BuildResult:
    exit_code: int
    diagnostics: tuple[Diagnostic, ...]
    published: tuple[str, ...] = ()
    held_back: tuple[str, ...] = ()
    drafts: tuple[str, ...] = ()  #: published slugs that are drafts (only with `BuildOptions.drafts`)
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
        return RenderedBody("", "", (), (), (), (), (problem,))


def render_all(papers: list[Paper], options: RenderOptions, jobs: int,
               progress: Callable[[int, int], None] | None) -> Iterator[RenderedBody]:
    """Render in parallel when it pays; results come back in the order of `papers`."""
    workers = jobs or os.cpu_count() or 1
    with ExitStack() as stack:
        if workers == 1 or len(papers) < 16:
            results: Iterable[RenderedBody] = (_render_safely(p, options) for p in papers)
        else:
            # forkserver, not fork: `mirror serve` renders from a process that also runs server threads.
            context = multiprocessing.get_context("forkserver")
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=workers, mp_context=context))
            chunk = max(1, len(papers) // (workers * 8))
            results = pool.map(_render_safely, papers, [options] * len(papers), chunksize=chunk)
        for done, body in enumerate(results, start=1):
            if progress:
                progress(done, len(papers))
            yield body


@dataclass(frozen=True)
class Checked:
    """What validation left: papers to publish now, their earlier versions, and what was held."""

    papers: list[Paper]
    earlier: dict[str, list[Paper]]
    reviews: dict[str, list[Review]]
    held: set[str]
    diagnostics: list[Diagnostic]


def validate_all(sources: Iterable[SourcePaper], config: Config, drafts: bool, today: datetime.date) -> Checked:
    """Validate every paper and its frozen versions; drafts and papers dated after `today` wait."""
    papers: list[Paper] = []
    earlier: dict[str, list[Paper]] = {}
    reviews: dict[str, list[Review]] = {}
    held: set[str] = set()
    diagnostics: list[Diagnostic] = []
    for source in sources:
        paper, found = validate_paper(source, config)
        if paper is not None:
            found += verify(source, paper.meta.get("changes", []))
            old = [load_frozen(source, n, config) for n in range(1, paper.version) if not found]
            for version in old:
                if isinstance(version, Diagnostic):
                    found.append(version)
                    continue
                old_paper, old_found = validate_paper(version, config)
                found += old_found
                if old_paper is not None:
                    earlier.setdefault(source.slug, []).append(old_paper)
            reviews[source.slug], review_problems = load_reviews(source, config)
            found += review_problems
        diagnostics += found
        if paper is None or any(d.level == "error" for d in found):
            held.add(source.slug)
        elif (drafts or not paper.draft) and paper.date <= today.isoformat():
            papers.append(paper)
    return Checked(papers, earlier, reviews, held, diagnostics)


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


def site_files(root: Path, site: Site) -> Iterator[OutputFile]:
    """Every output module's files: computed as data, written in one place."""
    found = listings(site)
    yield from pages(site, root / "templates", found)
    yield from listing_feeds(site, found)
    yield from static_files(root / "static")
    yield from paper_files(site)
    yield from paper_json_files(site)
    yield from cite_files(site)
    yield from feed_files(site)
    yield from sitemap_files(site, found)
    yield from robots_files(site)
    yield from llms_files(site)
    yield from corpus_files(site)
    yield from schema_files(site.config)
    yield from search_files(site, root / "templates")


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
    previous = published_slugs(options.out)
    is_previous_build = previous is not None
    previous = previous or frozenset()
    today = build_date()

    loaded = load_papers(options.root, config, options.only)
    checked = validate_all(loaded.papers, config, options.drafts, today)
    diagnostics = list(loaded.diagnostics) + checked.diagnostics
    held = set(loaded.held_back) | checked.held
    clashing, found = check_collisions(checked.papers, held, previous)
    diagnostics += found
    held |= clashing
    valid = [p for p in checked.papers if p.slug not in clashing]

    # Earlier versions render alongside the current ones, in the same pool.
    earlier = [old for paper in valid for old in checked.earlier.get(paper.slug, ())]
    bodies = dict(zip([(p.slug, p.source.path) for p in valid + earlier],
                      render_all(valid + earlier, RenderOptions(limits=config.limits), options.jobs, options.progress),
                      strict=True))
    entries: list[PublishedPaper] = []
    for paper in valid:
        versions = [(old, bodies[(old.slug, old.source.path)]) for old in checked.earlier.get(paper.slug, ())]
        body = bodies[(paper.slug, paper.source.path)]
        problems = [d for part in [body, *(b for _, b in versions)] for d in part.diagnostics]
        diagnostics += problems
        if any(d.level == "error" for d in problems):
            held.add(paper.slug)
        else:
            entries.append(PublishedPaper(paper, body, tuple(PublishedPaper(old, b) for old, b in versions),
                                          tuple(checked.reviews.get(paper.slug, ()))))

    entries, found = check_mirror_citations(entries, held | {p.slug for p in loaded.papers})
    diagnostics += found
    held |= {p.slug for p in valid} - {e.paper.slug for e in entries}

    result = BuildResult(EXIT_HELD_BACK if held else EXIT_OK, tuple(sorted(diagnostics)),
                         published=tuple(sorted(e.paper.slug for e in entries)), held_back=tuple(sorted(held)),
                         drafts=tuple(sorted(e.paper.slug for e in entries if e.paper.draft)))
    failure = next((f"{d.path} was changed after it was published; restore it" for d in diagnostics
                    if d.code == "version-tampered"), "")
    if options.only is None:
        published = {e.paper.slug for e in entries} | {a for e in entries for a in e.paper.meta.get("aliases", [])}
        failure = failure or _policy(previous, published, {p.slug for p in loaded.papers} | set(loaded.held_back), held)
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
