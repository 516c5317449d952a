"""Inline syntax for citations and cross-references, as pandoc authors write them.

`[@key]`, `[see @a, p. 3; -@b]`, narrative `@key`, `@fig:x` / `[@fig:x]`, and the LaTeX habits
`\\ref{fig:x}`, `\\autoref{fig:x}`, `\\label{fig:x}` of JOSS papers. The rules only parse; what a
key or label means is decided when rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

KEY = r"[A-Za-z0-9_](?:[A-Za-z0-9_]|[:+\-./](?=[A-Za-z0-9_]))*"
ITEM = re.compile(rf"(?P<prefix>[^@]*?)(?P<suppress>-?)@(?P<key>{KEY})(?P<suffix>[^@]*)", re.DOTALL)
NARRATIVE = re.compile(rf"@({KEY})")
LATEX = re.compile(r"\\(autoref|ref|eqref|label|cite[pt]?)\{([^{}\n]+)\}")
CROSSREF_KINDS = {"fig": "Figure", "tab": "Table", "eq": "Equation", "sec": "Section"}


@dataclass(frozen=True)
class Item:
    key: str
    prefix: str = ""
    suffix: str = ""
    suppress_author: bool = False

    @property
    def crossref(self) -> str:
        """The cross-reference kind (`fig`, `tab`, `eq`, `sec`), or '' for a citation."""
        kind = self.key.split(":", 1)[0]
        return kind if kind in CROSSREF_KINDS and ":" in self.key else ""


def _bracketed(state: StateInline, silent: bool) -> bool:
    """`[@a; see @b, p. 3]` — only when every `;` part holds one key, and no link follows."""
    src, start = state.src, state.pos
    if src[start] != "[" or start + 1 >= state.posMax or src[start + 1] == "^":
        return False
    end = src.find("]", start + 1, state.posMax)
    if end < 0 or "[" in src[start + 1:end] or src[end + 1:end + 2] in ("(", "["):
        return False
    items = []
    for part in src[start + 1:end].split(";"):
        match = ITEM.fullmatch(part.strip())
        if not match:
            return False
        items.append(Item(match["key"], match["prefix"].strip(), match["suffix"].strip().removeprefix(",").strip(),
                          bool(match["suppress"])))
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"items": items, "narrative": False}
        token.content = src[start:end + 1]
    state.pos = end + 1
    return True


def _narrative(state: StateInline, silent: bool) -> bool:
    """`@key` in running text; not inside words, so e-mail addresses are left alone."""
    src, start = state.src, state.pos
    if src[start] != "@" or (start > 0 and (src[start - 1].isalnum() or src[start - 1] in "._+-@")):
        return False
    match = NARRATIVE.match(src, start, state.posMax)
    if not match:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"items": [Item(match[1])], "narrative": True}
        token.content = match[0]
    state.pos = match.end()
    return True


def _latex(state: StateInline, silent: bool) -> bool:
    r"""`\ref{fig:x}`, `\autoref{fig:x}`, `\eqref{eq:x}`, `\cite{key}` and `\label{fig:x}`."""
    match = LATEX.match(state.src, state.pos, state.posMax)
    if not match:
        return False
    if not silent:
        command, argument = match[1], match[2].strip()
        if command == "label":
            token = state.push("label", "", 0)
            token.meta = {"label": argument}
        else:
            token = state.push("citation", "", 0)
            keys = [k.strip() for k in argument.split(",")]
            token.meta = {"items": [Item(k) for k in keys], "narrative": command in ("autoref", "ref", "eqref", "citet")}
            token.meta["bare"] = command == "ref"  # \ref gives the number only, as in LaTeX
        token.content = match[0]
    state.pos = match.end()
    return True


def citations_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "citation_bracketed", _bracketed)
    md.inline.ruler.before("escape", "latex_reference", _latex)
    md.inline.ruler.push("citation_narrative", _narrative)
