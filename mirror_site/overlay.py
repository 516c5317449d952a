"""`mirror serve`, what the server adds to pages: the live-reload script, the diagnostics overlay,
the draft banner, and the error page of a paper that has no good build yet.

These exist only in responses of the preview server; the built site never contains them.
Everything shown is escaped: diagnostics quote the author's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

from .diagnostics import Diagnostic

EVENTS_PATH = "/__mirror__/events"

# Reload when the server's build generation differs from the one this page was served with: that
# also covers a build finished before the stream connected, and a restarted server.
_RELOAD = """<script>/* mirror serve: live reload */(() => {
  const generation = %d;
  const events = new EventSource("%s");
  events.onmessage = (event) => { if (Number(event.data) !== generation) { events.close(); location.reload(); } };
  addEventListener("pagehide", () => events.close());
})();</script>"""

_BOX = ("position:fixed;z-index:2147483647;left:0;right:0;font:14px/1.45 system-ui,sans-serif;"
        "box-shadow:0 2px 12px rgba(0,0,0,.4);")
_OVERLAY_STYLE = _BOX + "top:0;max-height:70vh;overflow:auto;background:#2b0a0a;color:#fff;padding:1em 1.5em;"
_BANNER_STYLE = _BOX + "bottom:0;background:#ffe08a;color:#222;padding:.4em 1.5em;text-align:center;"
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def reload_script(generation: int) -> str:
    return _RELOAD % (generation, EVENTS_PATH)


def _items(diagnostics: Iterable[Diagnostic]) -> str:
    rows = []
    for d in diagnostics:
        where = f"{d.path}:{d.line}:{d.col}" if d.line else d.path
        hint = f'<br><span class="mirror-hint" style="opacity:.85">hint: {escape(d.hint)}</span>' if d.hint else ""
        rows.append(f'<li style="margin:.5em 0"><code style="color:#ffb4b4">{escape(where)}</code> '
                    f'{escape(d.level)}[{escape(d.code)}]: <span class="mirror-message">{escape(d.message)}</span>'
                    f"{hint}</li>")
    return "".join(rows)


def overlay(title: str, diagnostics: Iterable[Diagnostic], detail: str = "") -> str:
    """A box over the page listing what is wrong; the page under it is the last good build."""
    extra = f'<pre style="white-space:pre-wrap">{escape(detail)}</pre>' if detail else ""
    return (f'<div id="mirror-overlay" role="alert" style="{_OVERLAY_STYLE}">'
            '<button type="button" aria-label="Hide" onclick="this.parentNode.remove()" '
            'style="float:right;font-size:1.2em;background:none;color:inherit;border:0;cursor:pointer">×</button>'
            f'<strong>{escape(title)}</strong>{extra}<ul style="margin:.5em 0;padding-left:1.2em">'
            f"{_items(diagnostics)}</ul></div>")


def draft_banner() -> str:
    return (f'<div id="mirror-draft-banner" style="{_BANNER_STYLE}">Draft: shown by <code>mirror serve --drafts</code> '
            "only; <code>mirror build</code> does not publish it until <code>draft: true</code> is removed.</div>")


def inject(page: bytes, snippets: Iterable[str]) -> bytes:
    """Insert the snippets before the last `</body>` (at the end when there is none)."""
    extra = "".join(snippets).encode("utf-8")
    ends = list(_BODY_END.finditer(page))
    at = ends[-1].start() if ends else len(page)
    return page[:at] + extra + page[at:]


def error_page(title: str, diagnostics: Iterable[Diagnostic], generation: int, detail: str = "") -> bytes:
    """A whole page for a URL that has no good build: a held-back paper, or a site that never built."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} — mirror serve</title></head>"
            '<body style="margin:0;font:16px/1.5 system-ui,sans-serif">'
            f"{overlay(title, diagnostics, detail)}{reload_script(generation)}</body></html>\n").encode()
