"""HTML for the token tree: markdown-it's renderer with Mirror's rules for untrusted content,
figures, tables, math, citations, cross-references and sidenotes."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from html import escape
from urllib.parse import quote, unquote

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .bibliography import reference_id
from .citations import CROSSREF_KINDS, Item
from .figures import Refused, check_figure, contained_path
from .highlight import fast_lexer
from .markdown import RenderState
from .math import MathError, to_mathml
from .model import Figure

FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)
SIZE = re.compile(r"\d+(\.\d+)?(px|%|em|rem|cm|mm|in)?")


@functools.lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer:
    """Looking a lexer up by name scans Pygments' whole table: once per language and process is enough
    (a lexer keeps no state between texts)."""
    return fast_lexer(get_lexer_by_name(language))


class Renderer(RendererHTML):
    """Rules are the methods named after token types (markdown-it's convention)."""

    # --- context handed in through `env`
    @staticmethod
    def _state(env: EnvType) -> RenderState:
        state: RenderState = env["mirror"]
        return state

    def render(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        """As markdown-it's, but remembers the source lines of the block being rendered, skips
        tokens the transforms consumed, and renders footnotes first so they can be sidenotes."""
        state = self._state(env)
        env.setdefault("sidenotes", self._sidenotes(tokens, options, env))
        out: list[str] = []
        for index, token in enumerate(tokens):
            if token.meta.get("hidden"):
                continue
            if token.map:
                state.line_map = token.map
            if token.type == "inline":
                out.append(self.renderInline(token.children or [], options, env))
            elif token.type in self.rules:
                out.append(self.rules[token.type](tokens, index, options, env))
            else:
                out.append(self.renderToken(tokens, index, options, env))
        return "".join(out)

    def _sidenotes(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> dict[int, str]:
        notes: dict[int, str] = {}
        current = None
        for token in tokens:
            if token.type == "footnote_open":
                current = int(token.meta["id"])
                notes[current] = ""
            elif token.type == "footnote_close":
                current = None
            elif current is not None and token.type == "inline":
                notes[current] += (" " if notes[current] else "") + self.renderInline(token.children or [], options, env)
        return notes

    # --- blocks
    def paragraph_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return "" if tokens[idx].meta.get("figure") else self.renderToken(tokens, idx, options, env)

    def paragraph_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return "" if tokens[idx].meta.get("figure") else self.renderToken(tokens, idx, options, env)

    def heading_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        number = token.meta.get("number")
        prefix = f'<span class="secno">{number}</span> ' if number else ""
        return f'<{token.tag} id="{escape(str(token.attrGet("id")))}">{prefix}'

    def table_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        meta = tokens[idx].meta
        if "caption" not in meta:
            return '<div class="table-wrap"><table>\n'
        caption = self.renderInline(meta["caption"].children or [], options, env)
        return (f'<figure class="table" id="{escape(meta["id"])}"><figcaption><span class="label">Table {meta["number"]}.'
                f'</span> {caption}</figcaption><div class="table-wrap"><table>\n')

    def table_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        opening = next(t for t in reversed(tokens[:idx]) if t.type == "table_open")
        return "</table></div></figure>\n" if "caption" in opening.meta else "</table></div>\n"

    def html_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._raw_html(tokens[idx], env, block=True)

    def html_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._raw_html(tokens[idx], env, block=False)

    def _raw_html(self, token: Token, env: EnvType, block: bool) -> str:
        content = token.content
        if re.fullmatch(r"\s*(<!--.*?-->\s*)+", content, re.DOTALL):
            return ""  # comments are the author's notes to themselves, as in pandoc's output
        self._state(env).report("warning", "raw-html", "raw HTML is shown as text, not interpreted",
                                "use Markdown syntax instead of HTML", token.map, needle=content.strip().split("\n")[0])
        if block:
            return f'<pre class="raw-html"><code>{escape(content)}</code></pre>\n'
        return f'<code class="raw-html">{escape(content)}</code>'

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token, state = tokens[idx], self._state(env)
        limits = state.limits
        language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
        code = token.content
        plain = f'<pre class="code"><code>{escape(code)}</code></pre>\n'
        if not language:
            return plain
        lines = code.count("\n")
        if lines > limits.max_highlight_lines:
            state.report("warning", "code-too-long", f"a code block of {lines} lines is shown without highlighting",
                         f"highlighting stops at {limits.max_highlight_lines} lines; publish long code as a supplement",
                         token.map)
            return plain
        try:
            lexer = _lexer(language)
        except ClassNotFound:
            state.report("warning", "code-language", f"unknown code language `{language}`; shown as plain text",
                         "use a Pygments language name such as python, bash, json", token.map)
            return plain
        return str(highlight(code, lexer, FORMATTER))

    # --- math
    def _math(self, tex: str, display: bool, env: EnvType) -> str:
        try:
            return to_mathml(tex, display)
        except MathError as exc:
            self._state(env).report("warning", "math", f"a formula could not be converted ({exc}); shown as TeX",
                                    "check the TeX; Mirror supports LaTeX math with AMS environments",
                                    needle=tex.strip().split("\n")[0])
            return f'<code class="math-tex">{escape(tex)}</code>'

    def math_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._math(tokens[idx].content, False, env)

    def math_inline_double(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._math(tokens[idx].content, True, env)

    def math_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        self._state(env).line_map = token.map
        body = self._math(token.content, True, env)
        if "number" not in token.meta:
            return f'<div class="equation">{body}</div>\n'
        return (f'<div class="equation" id="{escape(token.meta["id"])}">{body}'
                f'<span class="eqno">({token.meta["number"]})</span></div>\n')

    math_block_label = math_block

    # --- citations and cross-references
    def citation(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token, state = tokens[idx], self._state(env)
        items: list[Item] = token.meta["items"]
        narrative = token.meta["narrative"]
        if all(item.crossref for item in items):
            return ", ".join(self._crossref(item, bool(token.meta.get("bare")), state) for item in items)
        parts = [self._cite(item, narrative, state) for item in items]
        text = "; ".join(parts)
        return text if narrative else f'<span class="citation">({text})</span>'

    def _crossref(self, item: Item, bare: bool, state: RenderState) -> str:
        label = state.labels.get(item.key)
        if label is None:
            state.report("error", "crossref-unknown", f"no figure, table, equation or section is labelled `{item.key}`",
                         "label it with {#" + item.key + "} (or check the spelling)", needle=item.key)
            return f'<span class="crossref-missing">{escape(item.key)}</span>'
        number = f"({label.number})" if label.kind == "eq" else label.number
        text = number if bare else f"{CROSSREF_KINDS[label.kind]}\u00a0{number}"
        return f'<a class="crossref" href="#{escape(label.id)}">{escape(item.prefix + " " if item.prefix else "")}{text}</a>'

    def _cite(self, item: Item, narrative: bool, state: RenderState) -> str:
        prefix = escape(item.prefix) + " " if item.prefix else ""
        suffix = ", " + escape(item.suffix) if item.suffix else ""
        if item.key.startswith("mirror:"):
            slug = item.key.removeprefix("mirror:")
            state.mirror_cited.setdefault(slug, state.where(needle=item.key)[0])
            href = f"../{slug}/"  # relative, so rendering needs no site-wide setting
            form = "narrative" if narrative else "paren"  # assemble writes the author-year text in
            return (f'{prefix}<a class="cite-mirror" href="{escape(href)}" data-slug="{escape(slug)}" data-form="{form}">'
                    f'{escape(slug)}</a>{suffix}')
        reference = state.bibliography.get(item.key)
        if reference is None:
            state.report("error", "citation-unknown", f"the citation key `{item.key}` is not in the bibliography",
                         "add the entry to the paper's BibTeX file, or correct the key; never invent a reference",
                         needle="@" + item.key)
            return f'{prefix}<span class="citation-missing">@{escape(item.key)}</span>{suffix}'
        state.cited[item.key] = reference
        who, year = reference.in_text()
        href = "#" + reference_id(item.key)
        if item.suppress_author:
            text = escape(year)
        elif narrative:
            return self._anchor(href, f"{escape(who)} ({escape(year)}{suffix})", state)
        else:
            text = f"{escape(who)}, {escape(year)}"
        return f"{prefix}{self._anchor(href, text, state)}{suffix}"

    @staticmethod
    def _anchor(href: str, html: str, state: RenderState) -> str:
        """A link, unless we are inside a link already (nested anchors are invalid HTML)."""
        return html if state.link_depth else f'<a href="{href}">{html}</a>'

    def link_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        self._state(env).link_depth += 1
        return self.renderToken(tokens, idx, options, env)

    def link_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        self._state(env).link_depth -= 1
        return self.renderToken(tokens, idx, options, env)

    def label(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return ""  # a \label{} outside a caption or heading marks nothing we can number

    # --- footnotes as sidenotes
    def footnote_ref(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        number = int(tokens[idx].meta["id"]) + 1
        name = f"-{env['docId']}-{number}" if env.get("docId") else str(number)  # as the plugin names the note
        sub = tokens[idx].meta.get("subId", 0)
        ref_id = f"fnref{name}" + (f":{sub}" if sub else "")
        if "sidenotes" not in env:  # a reference inside a footnote's text, met while the sidenotes are made:
            return f'<sup class="footnote-ref"><a href="#fn{name}">{number}</a></sup>'  # no id twice, no nesting
        # The copy beside the text is hidden from assistive technology (the list at the end is the
        # accessible one), so its links must not take keyboard focus either.
        note = env["sidenotes"].get(number - 1, "").replace("<a ", '<a tabindex="-1" ')
        return (f'<sup class="footnote-ref"><a href="#fn{name}" id="{ref_id}">{number}</a></sup>'
                f'<span class="sidenote" aria-hidden="true"><span class="sidenote-number">{number}</span> {note}</span>')

    # --- images and figures
    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token, state = tokens[idx], self._state(env)
        src = str(token.attrGet("src") or "")
        alt = self.renderInlineAsText(token.children or [], options, env).strip()
        found = contained_path(state.folder, src)
        checked = found if isinstance(found, Refused) else check_figure(
            state.folder, found, state.limits.max_figure_bytes, state.limits.max_figure_pixels)
        if isinstance(checked, Refused):
            state.report("error", checked.code, checked.message, checked.hint, needle=unquote(src) or "![")
            return f"<span>{escape(alt)}</span>"
        state.figures[checked.relpath] = Figure(checked.relpath, checked.width, checked.height)
        attrs: dict[str, str] = token.meta.get("attrs", {})
        if not alt.strip():
            state.report("warning", "figure-alt", "an image has no alt text",
                         "describe the image between the brackets: ![what it shows](…)", needle="![")
        html = f'src="{escape(quote(checked.relpath))}" alt="{escape(alt)}"'
        if checked.width and checked.height:
            html += f' width="{checked.width}" height="{checked.height}"'
        style = "; ".join(f"{k}: {attrs[k]}" for k in ("width", "height") if SIZE.fullmatch(attrs.get(k, "")))
        if style:
            html += f' style="{escape(style)}"'
        img = f'<img {html} loading="lazy" decoding="async">'
        if not token.meta.get("figure"):
            return img
        caption = self.renderInline(token.children or [], options, env)
        return (f'<figure id="{escape(token.meta["id"])}">{img}<figcaption><span class="label">Figure '
                f'{token.meta["number"]}.</span> {caption}</figcaption></figure>\n')
