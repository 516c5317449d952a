"""Stages 1–3 for one paper folder: load, validate, render — the per-paper step of the build.

`prepare_paper` is a pure function of the folder's files and the `Settings`, so it runs in any
`concurrent.futures`-style executor (a process pool, a Dask cluster) and is cached: the result of
loading and validating is stored under the fingerprint of every file of the folder (the folder is
all a paper may read), the render under its own key (render_cache.py). What travels back to the
build is light: papers without their text and bodies without their HTML; those go to the store,
from which each paper's pages are written later.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .assemble import body_of
from .config import Config
from .diagnostics import Diagnostic, error
from .fingerprint import engine_version, fingerprint, settings_key, tree_digests
from .load import decode, load_paper
from .model import Paper, RenderedBody
from .render import RenderOptions
from .render_cache import cached_render
from .reviews import Review, load_reviews
from .store import Store
from .validate import validate_paper
from .versions import load_frozen, verify


@dataclass(frozen=True)
class Settings:
    """What every paper's step shares: the same for the whole build."""

    root: Path
    config: Config
    options: RenderOptions
    store: Path  #: the cache folder
    drafts: bool  #: drafts are published (`mirror serve --drafts`)
    today: datetime.date  #: papers dated later wait


@dataclass(frozen=True)
class Prepared:
    """One paper folder, loaded, validated and (when it is due) rendered."""

    slug: str
    paper: Paper | None  #: light (see `light_paper`); None when the paper did not load or validate
    earlier: tuple[Paper, ...] = ()  #: versions 1..N-1, light
    reviews: tuple[Review, ...] = ()
    bodies: tuple[RenderedBody, ...] = ()  #: light bodies of (paper, *earlier), when rendered
    body_keys: tuple[str, ...] = ()  #: their store keys ('' for a body with errors)
    diagnostics: tuple[Diagnostic, ...] = ()
    held: bool = False  #: loading or validation failed: the paper cannot be published
    due: bool = False  #: valid, and to be published by this build (not a draft, not dated later)
    key: str = ""  #: fingerprint of the folder and the settings: what the paper's pages depend on
    used: tuple[tuple[str, str], ...] = ()  #: (kind, key) of every store entry this paper needs


@dataclass(frozen=True)
class _Checked:
    """The cached part: what loading and validating the folder gave."""

    paper: Paper | None
    earlier: tuple[Paper, ...]
    reviews: tuple[Review, ...]
    diagnostics: tuple[Diagnostic, ...]
    valid: bool  #: no errors: the paper may be published
    full: tuple[Paper, ...] = ()  #: (paper, *earlier) with their text, only right after checking (never stored)


@dataclass
class Reuse:
    """What `mirror serve` keeps between builds: the prepared papers of one build and its settings,
    and the papers whose folders the watcher saw change since (None: anything may have changed)."""

    settings: Settings
    prepared: dict[str, Prepared]
    dirty: set[str] | None = field(default_factory=set)

    def unchanged(self, settings: Settings) -> dict[str, Prepared]:
        """The prepared papers still valid for a build with `settings`."""
        if self.dirty is None or settings != self.settings:  # the configuration, drafts or the date changed
            return {}
        return {slug: p for slug, p in self.prepared.items() if slug not in self.dirty}


def light_paper(paper: Paper) -> Paper:
    """The paper without its Markdown (the store keeps it with the rendered body)."""
    return replace(paper, source=replace(paper.source, body="", source=""))


def _load_and_validate(folder: Path, config: Config) -> _Checked:
    """Load and validate the paper, its frozen versions and its reviews (as `mirror check` does)."""
    source = load_paper(folder, folder.parent.parent, config)
    if isinstance(source, Diagnostic):
        return _Checked(None, (), (), (source,), False)
    paper, found = validate_paper(source, config)
    earlier: list[Paper] = []
    reviews: list[Review] = []
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
                earlier.append(old_paper)
        reviews, review_problems = load_reviews(source, config)
        found += review_problems
    valid = paper is not None and not any(d.level == "error" for d in found)
    return _Checked(paper, tuple(earlier), tuple(reviews), tuple(found), valid, (paper, *earlier) if valid and paper else ())


def prepare_paper(settings: Settings, folder: Path) -> Prepared:
    """Load, validate and render the paper in `folder`, reusing the store's results when every
    file of the folder is as it was."""
    slug = folder.name
    if folder.is_symlink():
        return Prepared(slug, None, held=True, diagnostics=(error(
            f"papers/{slug}", 0, 0, "paper-symlink", "the paper folder is a symbolic link", "move the real folder into papers/"),))
    store = Store(settings.store)
    digests = tree_digests(folder)
    # Loading, validating and rendering never read `base_url` (links in bodies are relative), and
    # `mirror serve` builds with its own: without it in the keys, serve and build share the cache.
    config_key = settings_key(replace(settings.config, base_url=""))
    key = fingerprint("prepare", engine_version(), config_key, str(folder), digests)
    checked = store.load("checked", key)
    if not isinstance(checked, _Checked):
        checked = _load_and_validate(folder, settings.config)
        store.save("checked", key, replace(checked, paper=checked.paper and light_paper(checked.paper),
                                           earlier=tuple(light_paper(p) for p in checked.earlier), full=()))
    paper, problems = checked.paper, checked.diagnostics
    if paper is None or not checked.valid:
        return Prepared(slug, paper and light_paper(paper), diagnostics=problems, held=True, key=key, used=(("checked", key),))
    due = (settings.drafts or not paper.draft) and paper.date <= settings.today.isoformat()
    bodies: list[RenderedBody] = []
    keys: list[str] = []
    used = [("checked", key)]
    for version in (checked.full or (paper, *checked.earlier)) if due else ():
        body, body_key, render_key = cached_render(version, settings.options, config_key, digests, store, with_text)
        bodies.append(body)  # its diagnostics count only if the paper is published (build.py decides)
        keys.append(body_key)
        used += [("rendered", render_key), ("body", body_key)]
    return Prepared(slug, light_paper(paper), tuple(light_paper(p) for p in checked.earlier), checked.reviews,
                    tuple(bodies), tuple(keys), problems, held=False, due=due, key=key, used=tuple(used))


def with_text(paper: Paper) -> Paper:
    """A cached paper is light; to render it again, its Markdown is read back from its file, whose
    hash this build has just checked (`tree_digests`): a file changed since is an error, not a guess."""
    if paper.source.source:
        return paper
    raw = (paper.source.folder.parent.parent / paper.source.path).read_bytes()  # the journal root / papers/<slug>/…
    if hashlib.sha256(raw).hexdigest() != paper.source.sha256:
        raise LookupError(f"{paper.source.path} changed during the build; build again")
    text = decode(raw, paper.source.path)
    assert isinstance(text, str)  # it decoded when the paper was loaded
    return replace(paper, source=replace(paper.source, source=text, body=body_of(text, paper.source.body_line)))
