"""Shared by the browser tests: a built site served on 127.0.0.1 and Debian chromium via playwright."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def require_browser() -> None:
    """Skip (with the reason) where the project's set-up has not installed the browser tools (`missing_tool`)."""
    missing = ""
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        missing = "Debian chromium is not installed (scripts/install-test-tools.sh installs it)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            missing = "playwright is not installed (scripts/install-test-tools.sh installs it)"
    if missing:
        missing_tool(missing)


def missing_tool(reason: str) -> None:
    """Skip a test whose tool is not installed here; fail it in CI (`CI` set), where the project's
    set-up installs every tool: a broken install must not turn the tests silently green."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (an ephemeral port) for the duration of the block."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
