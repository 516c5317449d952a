"""`mirror serve`: build, serve, watch, rebuild, reload — the live preview.

The pieces: `preview` (rebuilds into private folders, the served snapshot), `watch` (which files
changed), `handler` (HTTP, safely) and `overlay` (what the server adds to pages). This module binds
the port, starts them in order and stops them. `mirror serve` never writes to `site/`.
"""

from __future__ import annotations

import errno
import ipaddress
import signal
import sys
import tempfile
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from watchdog.observers import Observer

from .handler import PreviewHTTPServer
from .preview import Preview
from .watch import ObserverFactory, Watcher

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PORT_TRIES = 20  #: ports tried after the default before letting the system pick one


@dataclass(frozen=True)
class ServeOptions:
    root: Path  #: the journal folder
    host: str = DEFAULT_HOST
    port: int | None = None  #: None: DEFAULT_PORT, or the next free port when it is taken
    drafts: bool = False  #: show `draft: true` papers, under a banner
    open_browser: bool = False
    jobs: int = 0  #: render processes, as for `mirror build`
    debounce: float = 0.2  #: seconds without a change before a rebuild starts
    first_port: int = DEFAULT_PORT  #: where the search for a free port starts
    poll_interval: float = 1.0  #: seconds between scans when polling replaces inotify
    observer_factory: ObserverFactory = field(default=Observer, compare=False)


class PortBusy(Exception):
    """The port asked for with `--port` is taken."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_of(host: str, port: int) -> str:
    """The URL to print and build against; a wildcard address is reached through loopback."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def bind(host: str, port: int | None, preview: Preview, first_port: int = DEFAULT_PORT) -> PreviewHTTPServer:
    """Listen on `port`, or on the first free port from `first_port` on (row 74)."""
    candidates = [port] if port is not None else [*range(first_port, first_port + PORT_TRIES), 0]
    for candidate in candidates:
        try:
            return PreviewHTTPServer((host, candidate), preview)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            if port is not None:
                raise PortBusy(f"port {port} on {host} is already in use; choose another with --port, "
                               "or leave --port out to take the next free one") from exc
    raise AssertionError("unreachable: port 0 is always free")


class PreviewServer:
    """A running preview: first build, watcher, rebuild loop and HTTP server, in background threads.
    Use as a context manager; `url` is where it answers."""

    def __init__(self, options: ServeOptions, log: Callable[[str], None]) -> None:
        self.options = options
        self._workdir = Path(tempfile.mkdtemp(prefix="mirror-serve-"))
        self.preview = Preview(options.root, self._workdir, log, drafts=options.drafts, jobs=options.jobs,
                               debounce=options.debounce)
        try:
            self.httpd = bind(options.host, options.port, self.preview, options.first_port)
        except BaseException:
            self.preview.close()
            raise
        self.url = url_of(options.host, self.httpd.server_address[1])
        self.watcher = Watcher(options.root, self.preview.changed, log, options.observer_factory,
                               options.poll_interval)
        # A short poll interval only bounds how long `close` waits for the server loop to notice.
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="mirror-http", daemon=True)

    def __enter__(self) -> PreviewServer:
        try:
            self.watcher.start()  # before the first build, so that no save goes unseen
            self.preview.start(self.url)
            self._thread.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.watcher.stop()
        if self._thread.is_alive():
            self.httpd.shutdown()
        self.preview.close()  # releases event streams, then deletes the build folders
        self.httpd.server_close()


def serve(options: ServeOptions) -> int:
    """Run until interrupted; 0 on Ctrl+C, 2 when the port asked for is taken."""
    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if options.port is not None and not 0 <= options.port <= 65535:
        log(f"error: --port must be between 0 and 65535, not {options.port}")
        return 2
    if not is_loopback(options.host):
        log(f"warning: serving on {options.host} makes the preview, drafts and held-back papers included, "
            "reachable from other machines; leave out --host to stay on 127.0.0.1")
    try:
        server = PreviewServer(options, log)
    except PortBusy as exc:
        log(f"error: {exc}")
        return 2
    except OSError as exc:  # an address of no interface here, a port below 1024, …
        log(f"error: cannot listen on {options.host} port {options.port}: {exc.strerror or exc}")
        return 2
    # `kill` (SIGTERM) stops as cleanly as Ctrl+C: the private build folders are deleted.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:  # around the whole block: a signal may come at any point, even before the wait
        with server:
            log(f"serving {options.root} at {server.url} (Ctrl+C to stop)")
            if options.open_browser:
                # Some browsers block `open` until they exit: never hold up the server for it.
                threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
            threading.Event().wait()  # until Ctrl+C or SIGTERM
    except KeyboardInterrupt:
        log("stopped")
    return 0
