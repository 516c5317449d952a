"""TeX to MathML at build time: readable without JavaScript, the TeX kept for machines.

latex2mathml converts; we then serialise its element tree ourselves and keep only MathML elements
and presentation attributes, because it copies `\\text{…}` verbatim and turns `\\href` into
attributes: formula text from a paper must never become markup.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from html import escape

from latex2mathml.converter import convert_to_element

ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mfrac msqrt mroot mstyle "
    "mtable mtr mtd mpadded mphantom menclose merror semantics annotation mmultiscripts mprescripts none".split())
ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence form accent accentunder movablelimits displaystyle scriptlevel rowspacing "
    "columnspacing columnalign rowalign linebreak width height depth lspace rspace minsize maxsize separator "
    "notation columnlines rowlines frame largeop symmetric linethickness align".split())

# Environments latex2mathml renders badly or numbers itself: rewritten to ones it renders well
# (checked in the browser: `aligned` came out as a flat row with literal `&`).
REWRITES = (
    (re.compile(r"\\(begin|end)\{(aligned|align\*?|eqnarray\*?|flalign\*?|alignat\*?)\}"), r"\\\1{align*}"),
    (re.compile(r"\\(begin|end)\{(gather\*?|gathered|multline\*?)\}"), r"\\\1{array}"),
    (re.compile(r"\\(begin|end)\{(equation\*?)\}"), ""),
    # A standard LaTeX operator latex2mathml does not know.
    (re.compile(r"\\arg(?![A-Za-z])"), r"\\operatorname{arg}"),
)
LABEL = re.compile(r"\\label\{([^{}]*)\}")


class MathError(ValueError):
    """The formula could not be converted faithfully."""


# latex2mathml's texts hold XML character references (`&#x0003C;` for `<`), and its own string
# output is that tree with the texts pasted in unescaped. Mirror once re-parsed that string; reading
# each text and attribute as that parser did gives the same result without printing and parsing
# every formula: references decoded, a raw carriage return in text read as a line feed, and
# refused (MathError) what made the string ill-formed: a `<`, a bare `&`, `]]>` in text, a character
# XML forbids.
_REFERENCE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"  #: characters XML does not allow
_NOT_XML = re.compile(f"[{_FORBIDDEN}]")
_PLAIN = re.compile(f"[^<&>\r{_FORBIDDEN}]*")  #: a text to take as it is


def _character(match: re.Match[str]) -> str:
    name = match[1]
    if name[0] != "#":
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] == "x" else int(name[1:])
    character = chr(code) if code < 0x110000 else "\x00"
    if _NOT_XML.match(character):
        raise MathError("a character reference to a character XML forbids")
    return character


def _read(raw: str | None, attribute: bool = False) -> str:
    """A text (or attribute value) of latex2mathml's tree as the XML parser read it."""
    if not raw:
        return ""
    if _PLAIN.fullmatch(raw):  # nearly every text: nothing to decode or refuse
        return raw
    if "<" in raw or _NOT_XML.search(raw) or (not attribute and "]]>" in raw):
        raise MathError("markup or a control character in the formula's text")
    if not attribute:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in raw:
        if "&" in _REFERENCE.sub("", raw):
            raise MathError("a bare `&` in the formula's text")
        raw = _REFERENCE.sub(_character, raw)
    return raw


def _serialize(element: ET.Element) -> str:
    tag = element.tag
    if tag not in ELEMENTS:
        raise MathError(f"unexpected <{tag}> in the converted formula")
    attrs = ""
    if element.attrib:  # every value is read, the dropped ones too: an ill-formed one refused the formula
        values = {name: _read(value, attribute=True) for name, value in sorted(element.attrib.items())}
        attrs = "".join(f' {name}="{escape(value)}"' for name, value in values.items() if name in ATTRIBUTES)
    inner = escape(_read(element.text), quote=False)
    inner += "".join(_serialize(child) + escape(_read(child.tail), quote=False) for child in element)
    if tag == "mi" and inner.startswith("\\"):
        raise MathError(f"unknown command {inner}")
    return f"<{tag}{attrs}>{inner}</{tag}>"


def prepare(tex: str) -> tuple[str, str]:
    """The TeX to convert, and a `\\label{…}` found inside it (the pandoc/JOSS habit)."""
    label = ""
    match = LABEL.search(tex)
    if match:
        label = match[1].strip()
        tex = LABEL.sub("", tex)
    gather = bool(re.search(r"\\begin\{(gather\*?|gathered|multline\*?)\}", tex))
    for pattern, replacement in REWRITES:
        tex = pattern.sub(replacement, tex)
    if gather:
        tex = tex.replace(r"\begin{array}", r"\begin{array}{c}", 1)
    return tex.strip(), label


@functools.lru_cache(maxsize=8192)
def to_mathml(tex: str, display: bool) -> str:
    """MathML for `tex`, with the source in an annotation. Raises MathError when it cannot.
    Memoised: formulas recur within a paper and across papers (`x`, `\\ell_1`, a paper's own
    notation), and conversion is a quarter of the render; failures are not remembered."""
    source, _ = prepare(tex)
    if not source:
        raise MathError("the formula is empty")
    try:
        root = convert_to_element(source, display="block" if display else "inline")
    except Exception as exc:  # noqa: BLE001 - latex2mathml raises many unrelated exception types
        raise MathError(f"{type(exc).__name__} {exc}".strip()) from exc
    body = "".join(_serialize(child) for child in root)
    if "<mi>&amp;</mi>" in body:
        raise MathError("an alignment `&` outside an environment that supports it")
    mode = "block" if display else "inline"
    return (f'<math display="{mode}"><semantics><mrow>{body}</mrow>'
            f'<annotation encoding="application/x-tex">{escape(tex.strip(), quote=False)}</annotation></semantics></math>')
