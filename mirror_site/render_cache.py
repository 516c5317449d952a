"""The render cache: `render_body` is pure, so its result is stored under the fingerprint of
everything it reads — the paper (source included), the render options and the engine — together
with a manifest of the files it opened (the bibliography, the figures) and their content hashes,
which are checked again before an entry is used. Results with errors are not stored: those papers
are held back, and the next build reports their problems afresh."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .diagnostics import error
from .fingerprint import engine_version, file_digest, fingerprint, settings_key
from .model import Paper, RenderedBody
from .render import RenderOptions, render_body
from .store import Store

BIBLIOGRAPHY_NAMES = ("references.bib", "paper.bib")  #: the files render.py looks for, in its order


def render_safely(paper: Paper, options: RenderOptions) -> RenderedBody:
    """A renderer bug on one paper holds that paper back instead of crashing the build."""
    try:
        return render_body(paper, options)
    except Exception as exc:  # noqa: BLE001 - any failure of third-party parsing code
        problem = error(paper.source.path, paper.source.body_line, 1, "render-failed",
                        f"the Markdown could not be rendered ({type(exc).__name__}: {exc})",
                        "simplify the construct near this place; please report it as a Mirror bug")
        return RenderedBody("", "", (), (), (), (), (problem,))


def light(body: RenderedBody) -> RenderedBody:
    """What the whole-site outputs need of a body (abstract, headings, figures, citations of other
    papers, diagnostics), without the page-sized parts, which stay in the store until their pages
    are written: memory grows with the number of papers, not with their length."""
    return replace(body, html="", text="", references=(), reference_texts=())


def file_state(folder: Path, relpath: str, digests: dict[str, str]) -> str:
    """What a render saw at `relpath`: its content hash from `digests` (the folder as walked for
    this build), or, for paths behind a symbolic link, the hash of the file the link leads to."""
    path = folder / relpath
    try:
        if relpath in digests and not digests[relpath].startswith("l:"):
            return digests[relpath]
        if not path.exists():
            return "absent"
        resolved = path.resolve()
        where = resolved.relative_to(folder.resolve()).as_posix() if resolved.is_relative_to(folder.resolve()) else str(resolved)
        return f"->{where}:" + (file_digest(resolved) if resolved.is_file() else "not-a-file")
    except (OSError, RuntimeError, ValueError):  # a link loop, a permission problem
        return "unreadable"


def dependencies(paper: Paper, body: RenderedBody) -> tuple[str, ...]:
    """The files of the paper folder the render read, or looked for and did not find."""
    named = paper.meta.get("bibliography")
    return (*((named,) if named else BIBLIOGRAPHY_NAMES), *(figure.relpath for figure in body.figures))


def render_key(paper: Paper, options: RenderOptions, config_key: str) -> str:
    """The paper value is a pure function of its file's bytes, the configuration it was validated
    with and the engine (load.py, validate.py), so those stand for it: `source.sha256` names the bytes,
    and the folder and path are what the render reads files from and prints in its diagnostics."""
    source = paper.source
    return fingerprint("render", engine_version(), settings_key(options), config_key, str(source.folder), source.path,
                       source.sha256)


def cached_render(paper: Paper, options: RenderOptions, config_key: str, digests: dict[str, str], store: Store,
                  with_text: Callable[[Paper], Paper]) -> tuple[RenderedBody, str, str]:
    """The light body of `paper`, the store key of its full body ('' when it has errors) and the
    render key (under which the store keeps the pair).
    `paper` may be light: `with_text` gives it its Markdown back when it must be rendered."""
    key = render_key(paper, options, config_key)
    folder = paper.source.folder
    entry = store.load("rendered", key)
    if entry is not None:
        manifest, body_key, summary = entry
        if all(file_state(folder, relpath, digests) == state for relpath, state in manifest) and store.has("body", body_key):
            return summary, body_key, key
    full = with_text(paper)
    body = render_safely(full, options)
    summary = light(body)
    if any(d.level == "error" for d in body.diagnostics):
        return summary, "", key
    manifest = tuple((relpath, file_state(folder, relpath, digests)) for relpath in dependencies(paper, body))
    body_key = fingerprint(key, manifest)  # the full body is named by its inputs, files included
    store.save("body", body_key, (body, full.source.source))  # the Markdown travels with its body
    store.save("rendered", key, (manifest, body_key, summary))
    return summary, body_key, key
