"""Stage 3, render: one paper's Markdown to HTML. Pure: the paper and the options in, a
`RenderedBody` out; the only files read are the paper's own figures and bibliography."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .bibliography import Reference, format_reference, load_bibliography, reference_id
from .config import Limits
from .diagnostics import Diagnostic, error
from .markdown import RenderState, make_parser
from .model import Paper, RenderedBody
from .plaintext import html_to_text
from .renderer import Renderer
from .timeguard import RenderTimeout, time_limit

_PARSER = make_parser(Renderer)


@dataclass(frozen=True)
class RenderOptions:
    """Everything besides the paper that rendering depends on (part of the cache key)."""

    limits: Limits = Limits()


def _bibliography(paper: Paper, limits: Limits) -> tuple[dict[str, Reference], list[Diagnostic]]:
    """The file named by `bibliography:` (validated to lie in the folder), else references.bib, else paper.bib."""
    folder = paper.source.folder
    name = paper.meta.get("bibliography") or next(
        (n for n in ("references.bib", "paper.bib") if (folder / n).is_file() and not (folder / n).is_symlink()), "")
    if not name:
        return {}, []
    return load_bibliography(folder, name, limits.max_bib_bytes)


def reference_list(cited: dict[str, Reference]) -> tuple[tuple[str, str], ...]:
    """(HTML id, HTML) of every cited entry, in the journal's order: first author, year."""
    return tuple((reference_id(ref.key), format_reference(ref))
                 for ref in sorted(cited.values(), key=Reference.sort_key))


def _timed_out(path: str, line: int, limits: Limits) -> Diagnostic:
    return error(path, line, 1, "render-timeout",
                 f"rendering took more than {limits.max_render_seconds} s of CPU time and was stopped",
                 "simplify the Markdown near here (very long or deeply nested constructs); "
                 "raise `limits.max_render_seconds` only if the paper really needs it")


def render_markdown(text: str, path: str, first_line: int, folder: Path, limits: Limits,
                    id_prefix: str = "") -> tuple[str, list[Diagnostic]]:
    """Markdown that is not a paper body (a review report): same dialect, no bibliography; every id
    it makes (sections, footnotes, figures) starts with `id_prefix`."""
    try:
        with time_limit(limits.max_render_seconds):
            return _render_markdown(text, path, first_line, folder, limits, id_prefix)
    except RenderTimeout:
        return "", [_timed_out(path, first_line, limits)]


def _render_markdown(text: str, path: str, first_line: int, folder: Path, limits: Limits,
                     id_prefix: str) -> tuple[str, list[Diagnostic]]:
    state = RenderState(path, first_line, folder, limits, {}, lines=text.split("\n"), id_prefix=id_prefix)
    # `docId` is how the footnote plugin prefixes its ids: `fn-<docId>-1`.
    env = {"mirror": state, "docId": id_prefix.rstrip("-")} if id_prefix else {"mirror": state}
    try:
        html = _PARSER.render(text, env)
    except RecursionError:
        return "", [error(path, first_line, 1, "render-failed", "the Markdown is nested too deeply to render",
                          "reduce the nesting of lists or quotes")]
    return html, sorted(set(state.problems))


def render_body(paper: Paper, options: RenderOptions) -> RenderedBody:
    """Render the paper's body and abstract. Bad Markdown never raises: a failure is an error
    diagnostic that holds the paper back, and so is a render that hangs (`timeguard`)."""
    try:
        with time_limit(options.limits.max_render_seconds):
            return _render_body(paper, options)
    except RenderTimeout:
        return RenderedBody("", "", (), (), (), (), (_timed_out(paper.source.path, paper.source.body_line, options.limits),))


def _render_body(paper: Paper, options: RenderOptions) -> RenderedBody:
    bibliography, problems = _bibliography(paper, options.limits)
    state = RenderState(paper.source.path, paper.source.body_line, paper.source.folder, options.limits, bibliography,
                        lines=paper.source.body.split("\n"))
    try:
        html = _PARSER.render(paper.source.body, {"mirror": state})
        state.fixed = paper.source.positions.of(("abstract",))
        abstract = _PARSER.renderInline(paper.abstract, {"mirror": state, "sidenotes": {}})
    except RecursionError:
        problems.append(error(paper.source.path, paper.source.body_line, 1, "render-failed",
                              "the Markdown is nested too deeply to render", "reduce the nesting of lists or quotes"))
        html = abstract = ""
    diagnostics = sorted(set(problems + state.problems))
    references = reference_list(state.cited)
    return RenderedBody(html=html, abstract_html=abstract, headings=tuple(state.headings),
                        figures=tuple(sorted(state.figures.values(), key=lambda f: f.relpath)),
                        references=references, mirror_citations=tuple(sorted(state.mirror_cited.items())),
                        diagnostics=tuple(diagnostics), text=html_to_text(html), abstract_text=html_to_text(abstract),
                        reference_texts=tuple(html_to_text(entry) for _, entry in references))
