"""The plain text of rendered HTML, for machines that index or train on words, not markup."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

# Elements that end a line of text; everything else flows inline.
BLOCKS = frozenset("address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
                   "header hr li main nav ol p pre section table tr ul".split())
VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
# Never text: code of the page itself, and MathML's presentation (its TeX annotation is kept instead).
SKIPPED = frozenset({"script", "style", "template"})
# Presentation-only copies: what assistive technology skips (sidenotes repeat the footnotes), and
# footnotes' back-links.
HIDDEN_CLASSES = frozenset({"footnote-backref"})
# Brackets around the text of `<pre>`, whose spaces and lines (code indentation) are kept as they are,
# and the end of a line that a block element makes: outside `<pre>`, text is collected as written and
# its white space, line breaks included, is collapsed once at the end (as a browser shows it). They
# are lone surrogates, which no text decoded from a file holds (and a character reference to one
# decodes to U+FFFD); any in the HTML given are removed first.
PRE_OPEN, PRE_CLOSE, BREAK = "\ud800", "\ud801", "\ud802"
_MARKERS = re.compile("[\ud800-\ud802]")
_SPACE, _LINE_END = re.compile(r"\s+"), re.compile(r" ?\n ?")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0  #: open elements inside a skipped subtree (0: not skipping)
        self.math = 0
        self.annotation = 0
        self.pre = 0

    def _hidden(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        return tag in SKIPPED or values.get("aria-hidden") == "true" or bool(classes & HIDDEN_CLASSES)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_depth:
            self.skip_depth += tag not in VOID
            return
        if self._hidden(tag, attrs):
            self.skip_depth = 1 if tag not in VOID else 0
            return
        if tag == "math":
            self.math += 1
        elif tag == "annotation" and self.math:
            self.annotation += 1
        if tag in BLOCKS:
            self.parts.append(BREAK)
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip_depth and tag in BLOCKS:
            self.parts.append(BREAK)

    def handle_endtag(self, tag: str) -> None:
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if tag == "math":
            self.math = max(0, self.math - 1)
        elif tag == "annotation" and self.annotation:
            self.annotation -= 1
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in BLOCKS:
            self.parts.append(BREAK)
        elif tag in ("td", "th"):
            self.parts.append(" ")  # cells of a row stay on the row's line

    def handle_data(self, data: str) -> None:
        if not self.skip_depth and (not self.math or self.annotation):
            self.parts.append(PRE_OPEN + data + PRE_CLOSE if self.pre else data)


# The HTML Mirror renders is regular: tags with quoted, escaped attribute values and text without a
# bare `<`. `_events` tokenises such HTML with two regular expressions, several times faster than
# `HTMLParser`, and hands the same events to the same handler; anything else (a comment, a bare `<`,
# a script or style element whose content is not markup) is left to `HTMLParser`.
_TAG_PATTERN = r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s\"'<>/=]+(?:=(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>=`]+))?)*)\s*(/?)>"
_TOKEN = re.compile(_TAG_PATTERN + "|([^<]+)")
_ATTRIBUTE = re.compile(r"([^\s\"'<>/=]+)(?:=(?:\"([^\"<>]*)\"|'([^'<>]*)'|([^\s\"'<>=`]+)))?")
_PRE = re.compile(r"(<pre\b[^<>]*>)(.*?)(</pre>)", re.DOTALL)
# Unrolled (text, then tags each followed by text) so that a failed match cannot backtrack
# exponentially.
_PHRASING = re.compile(r"[^<]*(?:(?:<(?:span|code)(?:\s[^<>]*)?>|</(?:span|code)>)[^<]*)*")
_TAG = re.compile(r"<[^<>]*>")
_MATH = re.compile(r"<math\b[^<>]*>(.*?)</math>", re.DOTALL)
_ANNOTATION = re.compile(r"<annotation\b[^<>]*>([^<]*)</annotation>")
_RAW_TEXT = re.compile(r"<(script|style|textarea|title|xmp|plaintext|noscript|iframe|noembed|noframes)\b", re.IGNORECASE)


def _attributes(text: str) -> list[tuple[str, str | None]]:
    lowered = text.lower()
    if "aria-hidden" not in lowered and "footnote-backref" not in lowered and "&" not in text:
        return []  # nothing `_hidden` looks for (a reference could spell it otherwise)
    found: list[tuple[str, str | None]] = []
    for match in _ATTRIBUTE.finditer(text):
        name, double, single, bare = match.groups()
        has_value = "=" in match[0]
        found.append((name.lower(), unescape(double or single or bare or "") if has_value else None))
    return found


def _tex(match: re.Match[str]) -> str:
    """A `<math>` element stands for its TeX annotation, the only text of it the handler keeps (its
    elements are balanced, so that skipping them changes no depth either)."""
    annotation = _ANNOTATION.search(match[1])
    return annotation[1] if annotation else match[0]


def _preformatted(match: re.Match[str]) -> str:
    """Highlighted code is hundreds of `<span>`s inside a `<pre>`, where all text is kept as it is:
    the spans are dropped before tokenising (they end no line and hide nothing)."""
    inner = match[2]
    if "aria-hidden" in inner or "footnote-backref" in inner or not _PHRASING.fullmatch(inner):
        return match[0]
    return match[1] + _TAG.sub("", inner) + match[3]


def _events(html: str, handler: _Text) -> bool:
    """Feed `handler` the events of `html`; False when `html` is not regular (the handler is then
    to be thrown away)."""
    if _RAW_TEXT.search(html):
        return False
    if "<math" in html:
        html = _MATH.sub(_tex, html)
    if "<pre" in html:
        html = _PRE.sub(_preformatted, html)
    tags = 0
    for closing, tag, attributes, empty, text in _TOKEN.findall(html):
        if text:
            handler.handle_data(unescape(text))
            continue
        tags += 1
        if closing:
            handler.handle_endtag(tag.lower())
        elif empty:
            handler.handle_startendtag(tag.lower(), _attributes(attributes))
        else:
            handler.handle_starttag(tag.lower(), _attributes(attributes))
    # A regular tag holds one `<`, its first character, and text holds none: a `<` that opens no
    # regular tag was skipped by the tokeniser, so the HTML was not regular.
    return tags == html.count("<")


def html_to_text(html: str) -> str:
    """Text of `html` with block elements on their own lines and runs of blank lines squeezed."""
    if _MARKERS.search(html):
        html = _MARKERS.sub("", html)
    parser = _Text()
    if not _events(html, parser):
        parser = _Text()
        parser.feed(html)
        parser.close()
    pieces = re.split(f"{PRE_OPEN}(.*?){PRE_CLOSE}", "".join(parser.parts), flags=re.DOTALL)
    kept = []
    for index, piece in enumerate(pieces):
        if index % 2:  # the text of a <pre>
            kept.append(piece)
        else:
            kept.append(_LINE_END.sub("\n", _SPACE.sub(" ", piece).replace(BREAK, "\n")).strip(" "))
    return re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip()
