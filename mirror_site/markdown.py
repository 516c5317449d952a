"""The Markdown dialect: markdown-it-py configured for pandoc habits, and the tree transforms
that give sections, figures, tables and equations their ids and numbers before anything is
rendered (so that a reference may come before what it points at)."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .bibliography import Reference
from .citations import citations_plugin
from .config import Limits
from .diagnostics import Diagnostic, error, warning
from .math import LABEL as TEX_LABEL
from .model import Figure, Heading

SAFE_SCHEMES = ("http", "https", "mailto")
ATTRIBUTE = re.compile(r'#([\w:.\-]+)|\.([\w\-]+)|([\w\-]+)=("[^"]*"|\'[^\']*\'|[^\s"\'}]+)')
TABLE_CAPTION = re.compile(r"^(Table)?:\s+")
RESERVED_IDS = frozenset({"top", "main", "content", "abstract", "abstract-heading", "toc-heading", "references",
                          "footnotes", "cite", "metadata"})


@dataclass(frozen=True)
class Label:
    kind: str  #: fig, tab, eq, sec
    number: str  #: "3", or "2.1" for sections
    id: str  #: the HTML id to link to


@dataclass
class RenderState:
    """Per-render scratch space, kept in markdown-it's `env` so that the parser stays shared."""

    path: str  #: `papers/<slug>/paper.md`, for diagnostics
    body_line: int  #: file line of the body's first line
    folder: Path  #: the paper folder: the only place files are read from
    limits: Limits
    bibliography: dict[str, Reference]
    figures: dict[str, Figure] = field(default_factory=dict)  #: referenced files, by path in the folder
    headings: list[Heading] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    labels: dict[str, Label] = field(default_factory=dict)
    ids: set[str] = field(default_factory=lambda: set(RESERVED_IDS))
    cited: dict[str, Reference] = field(default_factory=dict)
    mirror_cited: dict[str, int] = field(default_factory=dict)  #: slug → line of first citation
    lines: list[str] = field(default_factory=list)  #: the body's lines, to locate a construct's column
    fixed: tuple[int, int] | None = None  #: where every problem is, when rendering the abstract
    line_map: Sequence[int] | None = None  #: source lines of the block being rendered
    link_depth: int = 0  #: >0 while rendering a link's text (citations there are not linked again)
    #: Put before every id, when several renders share one page (the reports on a paper's reviews page).
    id_prefix: str = ""

    def where(self, token_map: Sequence[int] | None = None, needle: str = "") -> tuple[int, int]:
        """File line and column of a construct: markdown-it maps tokens to block lines only, so the
        column (and the line within a multi-line paragraph) comes from finding `needle` there."""
        if self.fixed:
            return self.fixed
        token_map = token_map or self.line_map
        first, last = (token_map[0], token_map[1]) if token_map else (0, 1)
        for index in range(first, min(last, len(self.lines))):
            column = self.lines[index].find(needle) if needle else -1
            if column >= 0:
                return self.body_line + index, column + 1
        return self.body_line + first, 1

    def line(self) -> int:
        return self.where()[0]

    def report(self, level: str, code: str, message: str, hint: str, token_map: Sequence[int] | None = None,
               needle: str = "") -> None:
        make = error if level == "error" else warning
        line, col = self.where(token_map, needle)
        self.problems.append(make(self.path, line, col, code, message, hint))

    def unique_id(self, wanted: str) -> str:
        wanted = self.id_prefix + wanted
        candidate, n = wanted, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{wanted}-{n}"
        self.ids.add(candidate)
        return candidate

    def add_label(self, label: str, kind: str, number: str, ident: str, token_map: Sequence[int] | None) -> None:
        if label in self.labels:
            self.report("error", "label-duplicate", f"the label `{label}` is defined twice", "give each label a new name",
                        token_map)
            return
        self.labels[label] = Label(kind, number, ident)


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


@functools.lru_cache(maxsize=1 << 16)  # the listings slugify every keyword and author of every paper on each build
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


def _strip_trailing_attributes(children: list[Token]) -> dict[str, str]:
    """Remove a pandoc `{…}` block ending the inline content; return its attributes."""
    if not children or children[-1].type != "text":
        return {}
    last = children[-1]
    match = re.search(r"\s*\{([^{}\n]*)\}\s*$", last.content)
    if not match or not (ATTRIBUTE.search(match[1]) or match[1].strip() == "-"):
        return {}
    last.content = last.content[: match.start()]
    return {"class": "unnumbered"} if match[1].strip() == "-" else parse_attributes(match[1])


def _take_label(children: list[Token]) -> str:
    r"""Remove a `\label{…}` from inline content (captions, headings); return it."""
    for child in children:
        if child.type == "label":
            child.type, child.content = "text", ""
            return str(child.meta["label"])
    return ""


def _inline_text(tokens: list[Token]) -> str:
    return "".join(t.content for t in tokens if t.type in ("text", "code_inline"))


class _Numbering:
    """Counters for sections (hierarchical), figures, tables and equations, in document order."""

    def __init__(self) -> None:
        self.sections: list[int] = []
        self.counts = {"fig": 0, "tab": 0, "eq": 0}

    def section(self, depth: int) -> str:
        self.sections = (self.sections + [0] * depth)[:depth]
        self.sections[-1] += 1
        return ".".join(str(n) for n in self.sections)

    def next(self, kind: str) -> str:
        self.counts[kind] += 1
        return str(self.counts[kind])


def _heading(tokens: list[Token], index: int, state: RenderState, numbering: _Numbering) -> None:
    opening, inline = tokens[index - 1], tokens[index]
    children = inline.children or []
    attrs = _strip_trailing_attributes(children)
    label = attrs.get("id") or _take_label(children)
    text = _inline_text(children).strip()
    depth = int(opening.tag[1])
    number = "" if "unnumbered" in attrs.get("class", "") or attrs.get("class") == "-" else numbering.section(depth)
    # Ids without a `kind:` prefix get `sec-`, so a heading never takes an id the site uses (`search`).
    ident = state.unique_id(label if ":" in label else "sec-" + slugify(label or text))
    level = min(depth + 1, 6)  # `#` is a section: the page's h1 is the title
    opening.tag = tokens[index + 1].tag = f"h{level}"
    opening.attrSet("id", ident)
    opening.meta["number"] = number
    state.headings.append(Heading(level, text, ident, number))
    if label.startswith("sec:") and number:
        state.add_label(label, "sec", number, ident, inline.map)


def _figure(tokens: list[Token], index: int, state: RenderState, numbering: _Numbering) -> None:
    inline = tokens[index]
    image = next(c for c in inline.children or [] if c.type == "image")
    attrs: dict[str, str] = image.meta.setdefault("attrs", {})
    label = attrs.get("id") or _take_label(image.children or [])
    number = numbering.next("fig")
    ident = state.unique_id(label if ":" in label else f"figure-{slugify(label)}" if label else f"figure-{number}")
    image.meta.update(figure=True, number=number, id=ident)
    tokens[index - 1].meta["figure"] = tokens[index + 1].meta["figure"] = True  # the paragraph around it
    if label:
        state.add_label(label, "fig", number, ident, inline.map)


def _table_caption(tokens: list[Token], index: int, state: RenderState, numbering: _Numbering) -> None:
    """`Table: caption {#tab:x}` directly before or after a table becomes its caption."""
    inline = tokens[index]
    children = inline.children or []
    before = index + 2 < len(tokens) and tokens[index + 2].type == "table_open"
    after = index >= 2 and tokens[index - 2].type == "table_close"
    if not (before or after) or not children or children[0].type != "text":
        return
    table_open = tokens[index + 2] if before else _table_start(tokens, index - 2)
    children[0].content = TABLE_CAPTION.sub("", children[0].content, count=1)
    attrs = _strip_trailing_attributes(children)
    label = attrs.get("id") or _take_label(children)
    number = numbering.next("tab")
    ident = state.unique_id(label if ":" in label else f"table-{slugify(label)}" if label else f"table-{number}")
    table_open.meta.update(caption=inline, number=number, id=ident)
    for token in tokens[index - 1:index + 2]:
        token.meta["hidden"] = True
    if label:
        state.add_label(label, "tab", number, ident, inline.map)


def _table_start(tokens: list[Token], close_index: int) -> Token:
    index = close_index
    while tokens[index].type != "table_open":
        index -= 1
    return tokens[index]


def _equation(token: Token, state: RenderState, numbering: _Numbering) -> None:
    """Display math with a label (`{#eq:x}`, `(eq:x)` or `\\label{eq:x}` inside) gets a number."""
    label = token.info.strip() if token.type == "math_block_label" else ""
    inside = TEX_LABEL.search(token.content)
    label = label or (inside[1].strip() if inside else "")
    if not label:
        return
    number = numbering.next("eq")
    ident = state.unique_id(label if ":" in label else f"equation-{slugify(label)}")
    token.meta.update(number=number, id=ident)
    state.add_label(label, "eq", number, ident, token.map)


def _display_math_paragraphs(tokens: list[Token]) -> None:
    """`$$…$$ {#eq:x}` on its own is parsed as a paragraph; make it a labelled display equation."""
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.children or tokens[index - 1].type != "paragraph_open":
            continue
        kids = [c for c in token.children if not (c.type in ("text", "softbreak") and not c.content.strip())]
        if len(kids) == 2 and kids[0].type == "math_inline_double" and kids[1].type == "text":
            match = re.fullmatch(r"\s*\{#(eq:[\w:.\-]+)\}\s*", kids[1].content)
            if match:
                token.type, token.content, token.info, token.children = "math_block_label", kids[0].content, match[1], []
                tokens[index - 1].meta["hidden"] = tokens[index + 1].meta["hidden"] = True


def _image_attributes(children: list[Token]) -> None:
    for position, child in enumerate(children[:-1]):
        following = children[position + 1]
        if child.type == "image" and following.type == "text":
            match = re.match(r"\{([^{}\n]*)\}", following.content)
            if match:
                child.meta["attrs"] = parse_attributes(match[1])
                following.content = following.content[match.end():]


def _refuse_links(children: list[Token], token_map: Any, state: RenderState) -> None:
    refused: list[bool] = []
    for child in children:
        if child.type == "link_open":
            scheme = refused_scheme(str(child.attrGet("href") or ""))
            refused.append(bool(scheme))
            if scheme:
                state.report("warning", "link-scheme", f"a link with the `{scheme}:` scheme was rendered as plain text",
                             "link only to http, https or mailto URLs, or to places in the paper", token_map, "](")
                child.type, child.content = "text", ""
        elif child.type == "link_close" and refused and refused.pop():
            child.type, child.content = "text", ""


def _is_lone_image(children: list[Token]) -> bool:
    return [c.type for c in children if not (c.type in ("text", "softbreak") and not c.content.strip())] == ["image"]


def transform(state_core: StateCore) -> None:
    """The core rule: ids, numbers and labels for everything referable; refused links unlinked."""
    state: RenderState = state_core.env["mirror"]
    tokens: list[Token] = state_core.tokens
    numbering = _Numbering()
    _display_math_paragraphs(tokens)
    for index, token in enumerate(tokens):
        if token.type in ("math_block", "math_block_label"):
            _equation(token, state, numbering)
        if token.type != "inline" or token.children is None:
            continue
        children = token.children
        _image_attributes(children)
        _refuse_links(children, token.map, state)
        previous = tokens[index - 1] if index else None
        if previous is None:
            continue
        if previous.type == "heading_open":
            _heading(tokens, index, state, numbering)
        elif previous.type == "paragraph_open" and _is_lone_image(children):
            _figure(tokens, index, state, numbering)
        elif previous.type == "paragraph_open" and TABLE_CAPTION.match(token.content):
            _table_caption(tokens, index, state, numbering)


def make_parser(renderer_cls: type) -> MarkdownIt:
    """CommonMark + pipe tables + strikethrough + footnotes (with pandoc's inline `^[…]`) + dollar
    math + citations. Raw HTML is parsed so that it can be reported, then rendered escaped."""
    md = MarkdownIt("commonmark", {"html": True}, renderer_cls=renderer_cls)
    md.enable(["table", "strikethrough"]).use(footnote_plugin)
    md.use(dollarmath_plugin, allow_labels=True, allow_space=False, allow_digits=False, double_inline=True,
           allow_blank_lines=False)  # a blank line ends an unclosed `$$`, as in pandoc
    md.use(citations_plugin)
    # Plugins install their own render rules; Mirror's (methods of the renderer class) take precedence.
    for name, member in vars(renderer_cls).items():
        if callable(member) and not name.startswith("_") and name != "render":
            md.renderer.rules[name] = getattr(md.renderer, name)  # type: ignore[attr-defined]
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # refused in `transform`, with a warning
    md.core.ruler.push("mirror", transform)
    return md
