"""What a page may contain when its content came from hostile papers: the check shared by the fuzz
and browser tests. The site's own scripts are known (JSON-LD, whose JSON cannot close its element,
and `assets/search.js` by URL); anything else that could run script is content that got through."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from fuzz_journal import MARK

#: Elements Mirror's templates never use: from a page, they can only have come from a paper.
FOREIGN = frozenset("iframe frame frameset object embed applet base svg style template xmp portal plaintext listing".split())
URL_ATTRIBUTES = frozenset("href src action formaction xlink:href data poster background lowsrc ping cite srcset "
                           "codebase archive longdesc manifest icon dynsrc".split())
SCRIPT_SCHEME = re.compile(r"^(javascript|vbscript|data|file|livescript|mocha|jar):", re.IGNORECASE)


def _plain_url(value: str) -> str:
    """A URL as a browser reads its scheme: ASCII whitespace and controls anywhere are dropped."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value)


class _Checker(HTMLParser):
    def __init__(self, base_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_path = base_path
        self.problems: list[str] = []
        self.scripts = 0
        self._script: tuple[str, list[str]] | None = None  #: (kind, content parts) of the open <script>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if MARK.lower() in tag or any(MARK.lower() in name for name in values):
            self.problems.append(f"a payload became markup: <{tag} {' '.join(values)}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name}= on <{tag}>")
            if name in URL_ATTRIBUTES and SCRIPT_SCHEME.match(_plain_url(value)):
                self.problems.append(f"{name}={value[:80]!r} on <{tag}>")
            if name == "style" and re.search(r"expression|javascript|url\s*\(|@import|behavior", value, re.IGNORECASE):
                self.problems.append(f"style={value[:80]!r} on <{tag}>")
        if tag in FOREIGN:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "script":
            self.scripts += 1
            src = values.get("src", "")
            if src and src != self.base_path + "assets/search.js":
                self.problems.append(f"<script src={src[:80]!r}>")
            kind = "src" if src else values.get("type", "")
            if kind not in ("src", "application/ld+json"):
                self.problems.append(f"<script type={kind!r}>: not one of the site's own scripts")
            self._script = (kind, [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._close_script()

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self._close_script()

    def _close_script(self) -> None:
        assert self._script is not None
        kind, parts = self._script
        content = "".join(parts)
        self._script = None
        if kind == "src" and content.strip():
            self.problems.append("a script element with src also has content")
        if kind == "application/ld+json":
            if "<" in content:
                self.problems.append("JSON-LD holds a raw `<` (it could close its element)")
            try:
                json.loads(content)
            except ValueError:
                self.problems.append("JSON-LD is not JSON: " + content[:200])


def script_problems(html: str, base_path: str = "/") -> list[str]:
    """Everything in `html` that could run script and is not one of the site's own scripts."""
    checker = _Checker(base_path)
    checker.feed(html)
    checker.close()
    raw = len(re.findall(r"<script\b", html, re.IGNORECASE))
    if raw != checker.scripts:
        checker.problems.append(f"{raw} `<script` in the text but {checker.scripts} script elements parsed")
    return checker.problems
