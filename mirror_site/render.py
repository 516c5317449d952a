"""Stage 3, render: one paper's Markdown to HTML. Pure: the paper and the options in, a
`RenderedBody` out; the only files read are the paper's own figures."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote, unquote

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .config import Limits
from .diagnostics import Diagnostic, error, warning
from .figures import Refused, check_figure, contained_path
from .model import Figure, Heading, Paper, RenderedBody

SAFE_SCHEMES = ("http", "https", "mailto")
ATTRIBUTES = re.compile(r"\{([^{}\n]*)\}")
ATTRIBUTE = re.compile(r'#([\w:.\-]+)|\.([\w\-]+)|([\w\-]+)=("[^"]*"|\'[^\']*\'|[^\s"\']+)')
SIZE = re.compile(r"\d+(\.\d+)?(px|%|em|rem|cm|mm|in)?")
FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)


@dataclass(frozen=True)
class RenderOptions:
    """Everything besides the paper that rendering depends on (part of the cache key)."""

    limits: Limits = Limits()


def parse_attributes(text: str) -> dict[str, str]:
    """Pandoc attributes `{#id .class key=value}` → {'id': …, 'class': …, key: value}."""
    attrs: dict[str, str] = {}
    for ident, cls, key, value in ATTRIBUTE.findall(text):
        if ident:
            attrs["id"] = ident
        elif cls:
            attrs["class"] = (attrs.get("class", "") + " " + cls).strip()
        else:
            attrs[key] = value.strip("\"'")
    return attrs


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "section"


def refused_scheme(url: str) -> str:
    """The scheme of `url` when it is not one a paper may link to, else ''."""
    plain = re.sub(r"[\x00-\x20\x7f]+", "", unquote(url)).lower()
    match = re.match(r"([a-z][a-z0-9+.\-]*):", plain)
    if match and match[1] not in SAFE_SCHEMES:
        return match[1]
    return ""


@dataclass
class _State:
    """Per-render scratch space, kept in markdown-it's `env` so the parser stays shared."""

    paper: Paper
    options: RenderOptions
    problems: list[Diagnostic]
    figures: dict[str, Figure]
    headings: list[Heading]
    ids: set[str]
    figure_count: int = 0

    def line(self, token_map: Sequence[int] | None) -> int:
        return (token_map[0] if token_map else 0) + self.paper.source.body_line

    def report(self, level: str, token_map: Sequence[int] | None, code: str, message: str, hint: str) -> None:
        make = error if level == "error" else warning
        self.problems.append(make(self.paper.source.path, self.line(token_map), 1, code, message, hint))

    def unique_id(self, wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{wanted}-{n}"
        self.ids.add(candidate)
        return candidate


def _inline_text(tokens: list[Token]) -> str:
    return "".join(t.content for t in tokens if t.type in ("text", "code_inline"))


def _strip_trailing_attributes(children: list[Token]) -> dict[str, str]:
    """Remove a pandoc `{…}` block ending the inline content; return its attributes."""
    if not children or children[-1].type != "text":
        return {}
    last = children[-1]
    match = re.search(r"\s*\{([^{}\n]*)\}\s*$", last.content)
    if not match or not ATTRIBUTE.search(match[1]):
        return {}
    last.content = last.content[: match.start()]
    return parse_attributes(match[1])


def _core_rule(state: Any) -> None:
    """Headings get stable ids, image attributes are read, lone images become figures,
    links with refused schemes lose their link."""
    env: _State = state.env["mirror"]
    tokens: list[Token] = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "inline" or token.children is None:
            continue
        children = token.children
        parent = tokens[index - 1] if index else None
        if parent is not None and parent.type == "heading_open":
            attrs = _strip_trailing_attributes(children)
            text = _inline_text(children).strip()
            wanted = attrs.get("id") or "sec-" + slugify(text)
            parent.attrSet("id", env.unique_id(wanted))
            level = min(int(parent.tag[1]) + 1, 6)  # `#` is a section: the page's h1 is the title
            parent.tag = tokens[index + 1].tag = f"h{level}"  # heading_close follows
            env.headings.append(Heading(level, text, str(parent.attrGet("id"))))
        _image_attributes(children)
        _refuse_links(children, token.map, env)
        if (parent is not None and parent.type == "paragraph_open"
                and [c.type for c in children if not (c.type == "text" and not c.content.strip())] == ["image"]):
            parent.meta["figure"] = True
            tokens[index + 1].meta["figure"] = True
            next(c for c in children if c.type == "image").meta["in_figure"] = True


def _image_attributes(children: list[Token]) -> None:
    for position, child in enumerate(children):
        nxt = children[position + 1] if position + 1 < len(children) else None
        if child.type == "image" and nxt is not None and nxt.type == "text":
            match = re.match(r"\{([^{}\n]*)\}", nxt.content)
            if match:
                child.meta["attrs"] = parse_attributes(match[1])
                nxt.content = nxt.content[match.end():]


def _refuse_links(children: list[Token], token_map: Any, env: _State) -> None:
    depth_refused: list[bool] = []
    for child in children:
        if child.type == "link_open":
            scheme = refused_scheme(str(child.attrGet("href") or ""))
            depth_refused.append(bool(scheme))
            if scheme:
                env.report("warning", token_map, "link-scheme",
                           f"a link with the `{scheme}:` scheme was rendered as plain text",
                           "link only to http, https or mailto URLs, or to places in the paper")
                child.type, child.content = "text", ""
        elif child.type == "link_close" and depth_refused:
            if depth_refused.pop():
                child.type, child.content = "text", ""


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer with Mirror's rules for untrusted content."""

    def paragraph_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if tokens[idx].meta.get("figure"):
            return ""
        return super().renderToken(tokens, idx, options, env)

    def paragraph_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if tokens[idx].meta.get("figure"):
            return ""
        return super().renderToken(tokens, idx, options, env)

    def html_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._raw_html(tokens[idx], env, block=True)

    def html_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._raw_html(tokens[idx], env, block=False)

    def _raw_html(self, token: Token, env: EnvType, block: bool) -> str:
        content = token.content
        if re.fullmatch(r"\s*(<!--.*?-->\s*)+", content, re.DOTALL):
            return ""  # comments are the author's notes to themselves, as in pandoc's output
        state: _State = env["mirror"]
        state.report("warning", token.map or env.get("inline_map"), "raw-html", "raw HTML is shown as text, not interpreted",
                     "use Markdown syntax instead of HTML")
        if block:
            return f'<pre class="raw-html"><code>{escape(content)}</code></pre>\n'
        return f'<code class="raw-html">{escape(content)}</code>'

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        state: _State = env["mirror"]
        language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
        code = token.content
        plain = f'<pre class="code"><code>{escape(code)}</code></pre>\n'
        if not language:
            return plain
        if code.count("\n") > state.options.limits.max_highlight_lines:
            state.report("warning", token.map, "code-too-long",
                         f"a code block of {code.count(chr(10))} lines is shown without highlighting",
                         f"highlighting stops at {state.options.limits.max_highlight_lines} lines; publish long code as a supplement")
            return plain
        try:
            lexer = get_lexer_by_name(language)
        except ClassNotFound:
            state.report("warning", token.map, "code-language", f"unknown code language `{language}`; shown as plain text",
                         "use a Pygments language name such as python, bash, json")
            return plain
        return str(highlight(code, lexer, FORMATTER))

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        state: _State = env["mirror"]
        src = str(token.attrGet("src") or "")
        line_map = env.get("inline_map")
        alt = self.renderInlineAsText(token.children or [], options, env)
        found = contained_path(state.paper.source.folder, src)
        checked = found if isinstance(found, Refused) else check_figure(
            state.paper.source.folder, found, state.options.limits.max_figure_bytes,
            state.options.limits.max_figure_pixels)
        if isinstance(checked, Refused):
            state.report("error", line_map, checked.code, checked.message, checked.hint)
            return f"<span>{escape(alt)}</span>"
        state.figures[checked.relpath] = Figure(checked.relpath, checked.width, checked.height)
        attrs: dict[str, str] = token.meta.get("attrs", {})
        if not alt.strip():
            state.report("warning", line_map, "figure-alt", "an image has no alt text",
                         "describe the image between the brackets: ![what it shows](…)")
        html_attrs = f'src="{escape(quote(checked.relpath))}" alt="{escape(alt)}"'
        if checked.width and checked.height:
            html_attrs += f' width="{checked.width}" height="{checked.height}"'
        style = "; ".join(f"{k}: {attrs[k]}" for k in ("width", "height") if SIZE.fullmatch(attrs.get(k, "")))
        if style:
            html_attrs += f' style="{escape(style)}"'
        img = f'<img {html_attrs} loading="lazy" decoding="async">'
        if not tokens[idx].meta.get("in_figure"):
            return img
        state.figure_count += 1
        ident = state.unique_id(attrs.get("id") or f"figure-{state.figure_count}")
        caption = self.renderInline(token.children or [], options, env)
        return (f'<figure id="{escape(ident)}">{img}<figcaption><span class="figure-number">Figure '
                f'{state.figure_count}.</span> {caption}</figcaption></figure>\n')

    def render(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        """As markdown-it's, but remembers the source lines of the inline block being rendered."""
        out: list[str] = []
        for index, token in enumerate(tokens):
            if token.type == "inline":
                env["inline_map"] = token.map
                out.append(self.renderInline(token.children or [], options, env))
            elif token.type in self.rules:
                out.append(self.rules[token.type](tokens, index, options, env))
            else:
                out.append(self.renderToken(tokens, index, options, env))
        return "".join(out)


def make_parser() -> MarkdownIt:
    """CommonMark + pipe tables + strikethrough + footnotes (with pandoc's inline `^[…]`).
    Raw HTML is parsed so that it can be reported, then rendered escaped."""
    md = MarkdownIt("commonmark", {"html": True}, renderer_cls=_Renderer)
    md.enable(["table", "strikethrough"]).use(footnote_plugin)
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # refused in _core_rule, with a warning
    md.core.ruler.push("mirror", _core_rule)
    return md


_PARSER = make_parser()


def render_body(paper: Paper, options: RenderOptions) -> RenderedBody:
    """Render the paper's body and abstract. Never raises for bad Markdown: a renderer failure is an error
    diagnostic that holds the paper back."""
    state = _State(paper, options, [], {}, [], {"top", "content", "main", "abstract", "references", "footnotes"})
    env: dict[str, Any] = {"mirror": state}
    try:
        html = _PARSER.render(paper.source.body, env)
        abstract = _PARSER.renderInline(paper.abstract, {"mirror": state})
    except RecursionError:
        state.report("error", None, "render-failed", "the Markdown is nested too deeply to render",
                     "reduce the nesting of lists or quotes")
        html = abstract = ""
    return RenderedBody(html=html, abstract_html=abstract, headings=tuple(state.headings),
                        figures=tuple(sorted(state.figures.values(), key=lambda f: f.relpath)),
                        diagnostics=tuple(state.problems))
