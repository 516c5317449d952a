"""`mirror serve`, HTTP: answer GET and HEAD from the current snapshot, safely.

Safe by default (RELIABILITY.md rows 64–69, 75): paths are decoded once, refused when they hold
`..`, `.`, a backslash or NUL, then resolved (symlinks included) and required to stay inside the
served folder; the Host header is checked against DNS rebinding; MIME types come from a pinned
table, never the OS registry; `nosniff` everywhere; no CORS header; no directory listings.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from . import overlay
from .diagnostics import Diagnostic
from .preview import Preview, Snapshot

MIME_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json", ".jsonl": "application/jsonl; charset=utf-8",
    ".xml": "application/xml; charset=utf-8", ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8", ".bib": "application/x-bibtex; charset=utf-8",
    ".cff": "application/yaml; charset=utf-8", ".csv": "text/csv; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".woff": "font/woff", ".woff2": "font/woff2", ".wasm": "application/wasm", ".pdf": "application/pdf",
    ".gz": "application/gzip",  # served as the archive it is, never as Content-Encoding
}
DEFAULT_TYPE = "application/octet-stream"
#: A Host header is a name or an IP literal with an optional port, nothing else.
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
HEARTBEAT = 15.0  #: seconds between keep-alive comments on an idle event stream


def mime_type(path: PurePosixPath | Path) -> str:
    return MIME_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


def host_allowed(header: str | None, port: int, bound_host: str) -> bool:
    """Refuse names other than localhost and the bound host (DNS rebinding, RELIABILITY.md row 66).
    IP literals are safe: a page on another origin cannot make the browser send one."""
    if not header or not _HOST.match(header):
        return False
    parts = urlsplit("//" + header)
    try:
        asked_port = parts.port or 80
    except ValueError:
        return False
    name = (parts.hostname or "").rstrip(".")
    if asked_port != port:
        return False
    if name in ("localhost", bound_host.lower()):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def locate(root: Path, raw_path: str) -> Path | str | None:
    """The file a request path names inside `root`; a redirect target (str) for a folder asked for
    without its slash; None for anything else, which is answered 404 (rows 64, 65, 75)."""
    if not raw_path.startswith("/"):
        return None
    try:
        decoded = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return None
    parts = [p for p in decoded.split("/") if p]
    if "\0" in decoded or "\\" in decoded or any(p.startswith(".") for p in parts):
        return None  # `..`, `.` and hidden names; backslashes are separators on other systems
    base = root.resolve()
    try:
        found = base.joinpath(*parts).resolve(strict=True)
        if found.is_dir():
            if not decoded.endswith("/"):
                return "/" + "".join(quote(p) + "/" for p in parts)
            found = (found / "index.html").resolve(strict=True)
        elif decoded.endswith("/"):
            return None
    except (OSError, RuntimeError):  # missing, a symlink loop, a name too long
        return None
    return found if found.is_relative_to(base) and found.is_file() else None


class PreviewHTTPServer(ThreadingHTTPServer):
    """One thread per request (daemon threads: an open event stream never blocks shutdown)."""

    daemon_threads = True
    request_queue_size = 256  # 200 browsers' worth of simultaneous connects without refusals

    def __init__(self, address: tuple[str, int], preview: Preview) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.preview = preview
        self.bound_host = address[0]
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that goes away mid-answer is normal; anything else is a bug worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: PreviewHTTPServer
    server_version = "mirror-serve"
    sys_version = ""
    timeout = 60  # seconds: a client that connects and says nothing does not hold a thread for ever

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the terminal is for build diagnostics, not one line per request."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unknown method), in the same safe form as ours.
        An unknown method (http.server says 501) is one more method that is not allowed (row 75)."""
        if code == 501:
            self._not_allowed()
            return
        self.close_connection = True
        reason = message or self.responses.get(code, ("error",))[0]
        self._send(code, f"{code} {reason}\n".encode(), "text/plain; charset=utf-8", head=getattr(self, "command", "") == "HEAD")

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def _not_allowed(self) -> None:
        """Every method but GET and HEAD: the preview changes nothing (row 75)."""
        self._send(405, b"405 method not allowed: the preview answers GET and HEAD only\n",
                   "text/plain; charset=utf-8", head=False, extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed  # noqa: N815

    def _send(self, status: int, body: bytes, content_type: str, head: bool, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self._common_headers(content_type)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _common_headers(self, content_type: str) -> None:
        self.send_header("Content-Type", content_type)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")  # a preview must never show yesterday's page
        if content_type.startswith("image/svg"):
            self.send_header("Content-Security-Policy", "script-src 'none'")

    def _answer(self, head: bool) -> None:
        if not host_allowed(self.headers.get("Host"), self.server.server_address[1], self.server.bound_host):
            self._send(403, b"403 forbidden: unexpected Host header (DNS rebinding protection)\n",
                       "text/plain; charset=utf-8", head)
            return
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == overlay.EVENTS_PATH:
            self._events(head)
            return
        with self.server.preview.lease() as snapshot:
            self._from_snapshot(snapshot, path, head)

    def _from_snapshot(self, snapshot: Snapshot, path: str, head: bool) -> None:
        parts = [p for p in unquote(path, errors="replace").split("/") if p]
        slug = parts[1] if len(parts) >= 2 and parts[0] == "papers" else ""
        problems = snapshot.problems_of(slug) if slug in snapshot.held_back else ()
        if snapshot.folder is None:
            body = overlay.error_page("The site could not be built", snapshot.site_problems(), snapshot.generation,
                                      snapshot.failure)
            self._send(500, body, MIME_TYPES[".html"], head)
            return
        found = locate(snapshot.folder, path)
        if isinstance(found, str):
            self._send(301, b"", "text/plain; charset=utf-8", head, {"Location": found})
        elif found is None and problems:
            body = overlay.error_page(f"papers/{slug}/paper.md is held back: it has errors", problems,
                                      snapshot.generation)
            self._send(404, body, MIME_TYPES[".html"], head)
        elif found is None:
            self._not_found(snapshot, head)
        elif found.suffix.lower() == ".html":
            snippets = self._snippets(snapshot, slug, problems)
            self._send(200, overlay.inject(found.read_bytes(), snippets), MIME_TYPES[".html"], head)
        else:
            self._file(found, head)

    def _snippets(self, snapshot: Snapshot, slug: str, problems: tuple[Diagnostic, ...]) -> list[str]:
        snippets = [overlay.reload_script(snapshot.generation)]
        if snapshot.failure:
            snippets.append(overlay.overlay("The last build failed; this is the last good build.",
                                            snapshot.site_problems(), snapshot.failure))
        elif problems:
            snippets.append(overlay.overlay(f"papers/{slug}/paper.md has errors: this is its last good build",
                                            problems))
        if slug in snapshot.drafts:
            snippets.append(overlay.draft_banner())
        return snippets

    def _not_found(self, snapshot: Snapshot, head: bool) -> None:
        page = locate(snapshot.folder, "/404.html") if snapshot.folder else None
        if isinstance(page, Path):
            body = overlay.inject(page.read_bytes(), self._snippets(snapshot, "", ()))
            self._send(404, body, MIME_TYPES[".html"], head)
        else:
            self._send(404, b"404 not found\n", "text/plain; charset=utf-8", head)

    def _file(self, path: Path, head: bool) -> None:
        with open(path, "rb") as handle:  # open under the lease; the folder may go once it ends
            size = os.fstat(handle.fileno()).st_size
            self.send_response(200)
            self._common_headers(mime_type(path))
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if not head:
                shutil.copyfileobj(handle, self.wfile)

    def _events(self, head: bool) -> None:
        """Server-sent events: the build generation now, then each time it changes."""
        self.send_response(200)
        self._common_headers("text/event-stream; charset=utf-8")
        self.end_headers()
        if head:
            return
        seen = -1
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while True:
                generation = self.server.preview.wait_for_change(seen, HEARTBEAT)
                if generation is None:
                    return
                self.wfile.write(f"data: {generation}\n\n".encode() if generation != seen else b": ping\n\n")
                self.wfile.flush()
                seen = generation
        except OSError:  # the browser went away
            return
