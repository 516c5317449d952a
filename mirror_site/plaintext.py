"""The plain text of rendered HTML, for machines that index or train on words, not markup."""

from __future__ import annotations

import re
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
# Brackets around the text of `<pre>`, whose spaces and lines (code indentation) are kept as they are.
PRE_OPEN, PRE_CLOSE = "\ue000", "\ue001"


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
            self.parts.append("\n")
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip_depth and tag in BLOCKS:
            self.parts.append("\n")

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
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")  # cells of a row stay on the row's line

    def handle_data(self, data: str) -> None:
        if not self.skip_depth and (not self.math or self.annotation):
            # Outside <pre>, a line break in the HTML source is only a space, as a browser shows it.
            self.parts.append(PRE_OPEN + data + PRE_CLOSE if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Text of `html` with block elements on their own lines and runs of blank lines squeezed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    pieces = re.split(f"{PRE_OPEN}(.*?){PRE_CLOSE}", "".join(parser.parts), flags=re.DOTALL)
    kept = []
    for index, piece in enumerate(pieces):
        if index % 2:  # the text of a <pre>
            kept.append(piece)
        else:
            kept.append("\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in piece.split("\n")))
    return re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip()
