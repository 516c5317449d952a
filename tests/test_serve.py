"""`mirror serve`: safety (RELIABILITY.md rows 64–75), live rebuilds, the overlay, and the CLI.

Every server listens on 127.0.0.1 on a port the system picks; every wait is bounded.
"""

from __future__ import annotations

import errno
import http.client
import mimetypes
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import GOOD_FRONT, paper_text, run, write_journal
from watchdog.observers import Observer

from mirror_site.handler import MIME_TYPES
from mirror_site.serve import PortBusy, PreviewServer, ServeOptions

BROKEN_FRONT = GOOD_FRONT.replace("kind: ai", "kind: robot")  # papers/<slug>/paper.md:5:11 error[choice]
Response = tuple[int, dict[str, str], bytes]


def until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@contextmanager
def serving(root: Path, log: list[str] | None = None, **options: object) -> Iterator[PreviewServer]:
    settings = {"port": 0, "jobs": 1, **options}
    with PreviewServer(ServeOptions(root, **settings), (log if log is not None else []).append) as server:  # type: ignore[arg-type]
        yield server


def request(server: PreviewServer, path: str, method: str = "GET", host: str | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """Send `path` exactly as given (like `curl --path-as-is`)."""
    port = server.httpd.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host != "":
            connection.putheader("Host", host or f"127.0.0.1:{port}")
        for key, value in (headers or {}).items():
            connection.putheader(key, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def rebuilt(server: PreviewServer, change: Callable[[], object]) -> None:
    """Make a change and wait until a build that started after it has finished."""
    before = server.preview.builds
    change()
    until(lambda: server.preview.builds > before and server.preview.idle)


@pytest.fixture
def site(journal: Path) -> Iterator[PreviewServer]:
    write_journal(journal, {"papers/p/paper.md": paper_text(body="# Intro\n\nFirst version.\n"),
                            "static/app.js": "console.log(1)\n"})
    with serving(journal) as server:
        yield server


# Row 64: raw paths, each answered 404 without leaking a file or an absolute path.
TRAVERSALS = [
    "/../../etc/passwd", "/../secret.txt", "/papers/../../secret.txt", "/./../secret.txt",
    "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/..%2f..%2fsecret.txt", "/%2E%2E/secret.txt",
    "/..%5c..%5cetc%5cpasswd", "/..\\..\\etc\\passwd", "/%5c..%5csecret.txt",
    "/%252e%252e/%252e%252e/etc/passwd", "/%252e%252e%252fsecret.txt",
    "/%00", "/index.html%00", "/index.html%00.png", "/%00/../secret.txt",
    "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "/%ff", "/....//....//etc/passwd", "/.%2e/secret.txt",
    "//etc/passwd", "///../../etc/passwd", "http://127.0.0.1/../../etc/passwd", "*",
]


def test_traversal_variants_are_404(site: PreviewServer) -> None:
    """Row 64: every raw traversal path is 404, with no file from outside and no absolute path in the body."""
    folder = site.preview.current().folder
    assert folder is not None
    (folder.parent / "secret.txt").write_text("TOP-SECRET\n")
    (folder.parent.parent / "secret.txt").write_text("TOP-SECRET\n")
    for path in TRAVERSALS:
        status, _, body = request(site, path)
        assert status == 404, path
        assert b"TOP-SECRET" not in body and b"root:" not in body, path
        assert str(folder.parent).encode() not in body and b"/etc/" not in body, path


def test_symlinks_out_of_the_site_are_404(site: PreviewServer, tmp_path: Path) -> None:
    """Row 65: resolved and contained, whatever a symlink inside the served folder points at."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP-SECRET\n")
    folder = site.preview.current().folder
    assert folder is not None
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    (folder / "leakdir").symlink_to(outside, target_is_directory=True)
    (folder / "papers" / "p" / "up").symlink_to("../../..", target_is_directory=True)
    for path in ("/leak.txt", "/leakdir/secret.txt", "/leakdir/", "/papers/p/up/secret.txt"):
        status, _, body = request(site, path)
        assert status == 404 and b"TOP-SECRET" not in body, path


def test_host_header_is_checked_and_no_cors(site: PreviewServer) -> None:
    """Row 66: DNS rebinding gets 403; no `Access-Control-Allow-Origin` on any answer."""
    port = site.httpd.server_address[1]
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", f"localhost:{port + 1}",
                 f"localhost:{port}@evil.example", "", f"localhost.:{port}x", "local host"):
        status, headers, _ = request(site, "/", host=host)
        assert status == 403, host
        assert "access-control-allow-origin" not in headers
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        status, headers, _ = request(site, "/", host=host, headers={"Origin": "http://evil.example"})
        assert status == 200, host
        assert "access-control-allow-origin" not in headers


def test_default_bind_is_loopback(site: PreviewServer) -> None:
    """Row 67 (the warning for other hosts is tested through the CLI below)."""
    assert site.httpd.server_address[0] == "127.0.0.1"
    assert site.url == f"http://127.0.0.1:{site.httpd.server_address[1]}/"


def test_pinned_mime_types_and_nosniff(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Row 68: the types come from Mirror's table even when the OS registry says otherwise."""
    monkeypatch.setattr(mimetypes, "guess_type", lambda *a, **k: ("text/plain", None))
    monkeypatch.setattr(mimetypes, "types_map", {})
    names = ["x.js", "x.mjs", "x.css", "x.json", "x.xml", "x.svg", "x.woff2", "x.wasm", "x.md", "x.png", "x.jpg",
             "x.gif", "x.webp", "x.bib", "x.cff", "x.jsonl", "x.gz", "x.txt", "x.atom", "x.unknownext"]
    write_journal(journal, {f"static/{name}": b"\x00data" for name in names})
    with serving(journal) as server:
        for name in names:
            status, headers, _ = request(server, f"/assets/{name}")
            expected = MIME_TYPES.get(Path(name).suffix, "application/octet-stream")
            assert (status, headers["content-type"]) == (200, expected), name
            assert headers["x-content-type-options"] == "nosniff"
        assert request(server, "/assets/x.js")[1]["content-type"] == "text/javascript; charset=utf-8"
        assert request(server, "/assets/x.wasm")[1]["content-type"] == "application/wasm"
        assert "content-encoding" not in request(server, "/assets/x.gz")[1]
        for path, method in (("/", "GET"), ("/nope", "GET"), ("/__mirror__/events", "HEAD")):
            assert request(server, path, method)[1]["x-content-type-options"] == "nosniff"


class EventStream:
    """A raw server-sent-events client: no library, bounded by a socket timeout."""

    def __init__(self, server: PreviewServer) -> None:
        port = server.httpd.server_address[1]
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(f"GET /__mirror__/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        self.lines = self.sock.makefile("rb")
        status = self.lines.readline()
        assert b" 200 " in status, status
        while self.lines.readline() not in (b"\r\n", b"\n", b""):
            pass

    def next_generation(self) -> int:
        while True:
            line = self.lines.readline()
            assert line, "the stream closed"
            if line.startswith(b"data: "):
                return int(line[6:])

    def close(self) -> None:
        self.lines.close()
        self.sock.close()


def test_200_requests_and_20_reload_listeners_are_all_served(site: PreviewServer, journal: Path) -> None:
    """Row 69, and an edit seen by every connected client as a reload event."""
    listeners = [EventStream(site) for _ in range(20)]
    try:
        assert [s.next_generation() for s in listeners] == [1] * 20
        start = threading.Barrier(200, timeout=20)
        results: list[int] = []

        def fetch(index: int) -> None:
            start.wait()
            status, _, body = request(site, "/papers/p/" if index % 2 else "/assets/app.js")
            results.append(status if body else -1)

        threads = [threading.Thread(target=fetch, args=(i,)) for i in range(200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert results == [200] * 200
        rebuilt(site, lambda: (journal / "papers/p/paper.md").write_text(paper_text(body="Second.\n")))
        assert [s.next_generation() for s in listeners] == [2] * 20
    finally:
        for listener in listeners:
            listener.close()


def test_requests_during_rebuilds_get_a_complete_site(journal: Path) -> None:
    """Row 70: hammer a page while it is rebuilt; every answer is one whole version of it."""
    papers = {f"papers/filler-{i:02}/paper.md": paper_text(body="text\n" * 200) for i in range(10)}
    write_journal(journal, {**papers, "papers/p/paper.md": paper_text(body="VERSION-0\n")})
    with serving(journal) as server:
        stop = threading.Event()
        seen: list[tuple[int, bytes]] = []

        def hammer() -> None:
            while not stop.is_set():
                status, _, body = request(server, "/papers/p/")
                seen.append((status, body))

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            for version in range(1, 4):
                rebuilt(server, lambda v=version: (journal / "papers/p/paper.md").write_text(  # type: ignore[misc]
                    paper_text(body=f"VERSION-{v}\n")))
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        assert len(seen) > 20
        for status, body in seen:
            assert status == 200
            assert body.count(b"VERSION-") == 1 and body.rstrip().endswith(b"</html>")
        generations = {re.search(rb"const generation = (\d+)", body).group(1) for _, body in seen}  # type: ignore[union-attr]
        assert len(generations) >= 3  # the requests did interleave with the rebuilds


def test_a_leased_build_folder_outlives_the_swap(journal: Path) -> None:
    """Row 70, the mechanism: a request's folder stays until it is done, then goes."""
    write_journal(journal, {"papers/p/paper.md": paper_text()})
    with serving(journal) as server:
        with server.preview.lease() as snapshot:
            server.preview.rebuild()
            assert snapshot.folder is not None and (snapshot.folder / "index.html").is_file()
            assert server.preview.current().folder != snapshot.folder
        until(lambda: not snapshot.folder.exists())  # parked as the next spare, or deleted in the background
        assert not (journal / "site").exists()  # serve never writes the published output
    assert not snapshot.folder.parent.parent.exists()  # and cleans up after itself


def test_the_first_build_leaves_a_linked_spare_for_the_next(journal: Path) -> None:
    """Only a build that recycles a spare snapshot writes just what changed; after the first build
    there is no retired snapshot yet, so the preview makes the spare as a linked copy right away."""
    write_journal(journal, {"papers/p/paper.md": paper_text(), "papers/q/paper.md": paper_text()})
    with serving(journal) as server:
        served = server.preview.current().folder
        spare = server.preview._spare
        assert served is not None and spare is not None
        files = sorted(p.relative_to(served) for p in served.rglob("*") if p.is_file())
        assert files and files == sorted(p.relative_to(spare) for p in spare.rglob("*") if p.is_file())
        assert all(os.path.samefile(served / f, spare / f) for f in files)  # linked, not copied
        folder = (spare / "papers/q").stat().st_ino  # folders are made, not linked: this one is the spare's own
        paper = journal / "papers/p/paper.md"
        rebuilt(server, lambda: paper.write_text(paper.read_text() + "\nA new sentence.\n"))
        now = server.preview.current().folder
        assert now is not None and (now / "papers/q").stat().st_ino == folder  # the spare became the new site
        assert b"A new sentence." in request(server, "/papers/p/")[2]


def test_invalid_edit_shows_the_overlay_and_a_fix_clears_it(site: PreviewServer, journal: Path) -> None:
    """Row 71: the server stays up, the last good page carries the diagnostics, a fix removes them."""
    paper = journal / "papers/p/paper.md"
    assert b"mirror-overlay" not in request(site, "/papers/p/")[2]
    yaml_error = GOOD_FRONT.replace('title: "A good paper"', "title: [unclosed")
    for front, expected in ((BROKEN_FRONT, (b"papers/p/paper.md:5:11", b"unknown value `robot`", b"hint: allowed: ai, human")),
                            (yaml_error, (b"papers/p/paper.md:3:8", b"yaml-syntax", b"hint: check the YAML syntax"))):
        rebuilt(site, lambda f=front: paper.write_text(paper_text(f, body="# Intro\n\nBroken version.\n")))  # type: ignore[misc]
        status, _, body = request(site, "/papers/p/")
        assert status == 200 and b"mirror-overlay" in body and b"First version." in body  # the last good build
        assert all(text in body for text in expected), body
        assert b"mirror-overlay" not in request(site, "/")[2]  # other pages are not concerned
    rebuilt(site, lambda: paper.write_text(paper_text(body="# Intro\n\nFixed version.\n")))
    status, _, body = request(site, "/papers/p/")
    assert status == 200 and b"mirror-overlay" not in body and b"Fixed version." in body


def test_held_back_paper_gets_an_error_page_at_its_url(site: PreviewServer, journal: Path) -> None:
    new = journal / "papers/q/paper.md"
    rebuilt(site, lambda: write_journal(journal, {"papers/q/paper.md": paper_text(BROKEN_FRONT)}))
    for path in ("/papers/q/", "/papers/q", "/papers/q/paper.md"):
        status, headers, body = request(site, path)
        assert status == 404 and headers["content-type"] == "text/html; charset=utf-8", path
        assert b"papers/q/paper.md:5:11" in body and b"/__mirror__/events" in body, path
    rebuilt(site, lambda: new.write_text(paper_text()))
    assert request(site, "/papers/q/")[0] == 200


def test_site_level_faults_keep_the_last_good_site_under_an_overlay(site: PreviewServer, journal: Path) -> None:
    """A broken mirror.toml or template fails the build; pages stay, with the reason on top."""
    for name, broken in (("mirror.toml", "title = \n"), ("templates/paper.html", "{% block oops %}\n")):
        rebuilt(site, lambda n=name, b=broken: write_journal(journal, {n: b}))  # type: ignore[misc]
        status, _, body = request(site, "/papers/p/")
        assert status == 200 and b"mirror-overlay" in body and b"The last build failed" in body, name
        rebuilt(site, lambda n=name: (journal / n).unlink())  # type: ignore[misc]
        assert b"mirror-overlay" not in request(site, "/papers/p/")[2], name


def test_a_site_that_never_built_answers_an_error_page_then_recovers(journal: Path) -> None:
    write_journal(journal, {"mirror.toml": "title = \n", "papers/p/paper.md": paper_text()})
    with serving(journal) as server:
        status, _, body = request(server, "/papers/p/")
        assert status == 500 and b"mirror.toml" in body and b"/__mirror__/events" in body
        rebuilt(server, lambda: (journal / "mirror.toml").unlink())
        assert request(server, "/papers/p/")[0] == 200


def test_twenty_saves_in_one_second_make_one_rebuild(journal: Path) -> None:
    """Row 72: debounced; the rebuild counter moves by exactly one. (A debounce of 0.4 s rather
    than the default 0.2 s keeps a loaded CI machine's pause between two saves from splitting them.)"""
    paper = journal / "papers/p/paper.md"
    write_journal(journal, {"papers/p/paper.md": paper_text()})
    with serving(journal, debounce=0.4) as server:
        before = server.preview.builds
        for i in range(20):
            paper.write_text(paper_text(body=f"Save {i}.\n"))
            time.sleep(0.05)
        until(lambda: server.preview.builds > before)
        time.sleep(1.0)  # well past the debounce delay: a second rebuild would have started
        assert server.preview.builds == before + 1
        assert b"Save 19." in request(server, "/papers/p/")[2]


class ExhaustedObserver(Observer):  # type: ignore[misc,valid-type]
    """The native observer as it fails when inotify watches or instances run out (watchdog#673)."""

    def start(self) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_polling_takes_over_when_inotify_is_exhausted(journal: Path) -> None:
    """Row 73: a warning, then changes are still seen."""
    write_journal(journal, {"papers/p/paper.md": paper_text()})
    log: list[str] = []
    with serving(journal, log, observer_factory=ExhaustedObserver, poll_interval=0.1) as server:
        assert server.watcher.polling
        assert any("polling" in line and "inotify watch limit" in line for line in log)
        rebuilt(server, lambda: (journal / "papers/p/paper.md").write_text(paper_text(body="Polled.\n")))
        assert b"Polled." in request(server, "/papers/p/")[2]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_busy_port_is_an_error_when_asked_for_and_skipped_otherwise(journal: Path, busy_port: int) -> None:
    """Row 74."""
    write_journal(journal, {"papers/p/paper.md": paper_text()})
    with pytest.raises(PortBusy, match=f"port {busy_port} on 127.0.0.1 is already in use"):
        PreviewServer(ServeOptions(journal, port=busy_port), print)
    with serving(journal, port=None, first_port=busy_port) as server:
        port = server.httpd.server_address[1]
        assert port != busy_port and server.url == f"http://127.0.0.1:{port}/"
        assert request(server, "/")[0] == 200


def test_only_get_and_head_and_no_listings(site: PreviewServer) -> None:
    """Row 75: other methods 405; a folder without index 404; a folder without its slash redirects."""
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "MKCOL"):
        status, headers, _ = request(site, "/papers/p/", method=method)
        assert status == 405 and headers["allow"] == "GET, HEAD", method
    for path in ("/assets/", "/papers/", "/corpus/"):
        status, _, body = request(site, path)
        assert status == 404 and b"Page not found" in body and b"app.js" not in body, path
    status, headers, _ = request(site, "/papers/p")
    assert status == 301 and headers["location"] == "/papers/p/"
    assert request(site, "//evil.example")[0] == 404  # never an open redirect
    status, headers, body = request(site, "/papers/p/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 100


def test_real_404_page_and_reload_script_only_in_served_pages(site: PreviewServer) -> None:
    status, _, body = request(site, "/no/such/page")
    assert status == 404 and b"Page not found" in body and b"/__mirror__/events" in body
    folder = site.preview.current().folder
    assert folder is not None
    assert all(b"__mirror__" not in p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_drafts_are_shown_with_a_banner_only_when_asked(journal: Path) -> None:
    """Row 60: a draft is never built; `serve --drafts` shows it with a banner."""
    write_journal(journal, {"papers/d/paper.md": paper_text(GOOD_FRONT + "draft: true\n")})
    assert run(journal, journal.parent / "out").published == ()  # `mirror build` never publishes a draft
    with serving(journal) as server:
        assert request(server, "/papers/d/")[0] == 404
    with serving(journal, drafts=True) as server:
        status, _, body = request(server, "/papers/d/")
        assert status == 200 and b"mirror-draft-banner" in body


def mirror_serve(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mirror_site", "--root", str(root), "serve", *args],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


def test_cli_prints_the_exact_url_and_stops_cleanly(journal: Path) -> None:
    write_journal(journal, {"papers/p/paper.md": paper_text()})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = mirror_serve(journal, "--port", str(port))
    try:
        assert process.stderr is not None
        lines = [process.stderr.readline() for _ in range(2)]
        url = f"http://127.0.0.1:{port}/"
        assert any(f" at {url} " in line for line in lines), lines
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/papers/p/")
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, process.stderr.read() if process.stderr else ""
    assert not (journal / "site").exists()


def test_cli_port_busy_and_non_loopback_warning(journal: Path, busy_port: int) -> None:
    """Rows 67 and 74 through the command line: a clear error for a busy `--port`, a warning for a non-loopback host."""
    write_journal(journal, {"papers/p/paper.md": paper_text()})
    busy = mirror_serve(journal, "--port", str(busy_port))
    _, err = busy.communicate(timeout=60)
    assert busy.returncode == 2 and f"port {busy_port} on 127.0.0.1 is already in use" in err
    # 192.0.2.1 (TEST-NET-1) is on no interface: the warning is printed, nothing is ever bound.
    remote = mirror_serve(journal, "--host", "192.0.2.1", "--port", "8000")
    _, err = remote.communicate(timeout=60)
    assert remote.returncode == 2 and "warning: serving on 192.0.2.1" in err and "cannot listen" in err
    assert not os.path.exists(journal / "site")
