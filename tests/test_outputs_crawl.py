"""A crawler on 127.0.0.1 that knows only `robots.txt` reaches, through the sitemap (an index
with shards here) and the links of the pages, every published paper's HTML, JSON and Markdown;
`corpus/index.json` lists exactly the published papers; held-back and draft papers appear in no
response. The crawl is bounded in requests and time, and the server stops with the test."""

from __future__ import annotations

import functools
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
from lxml import etree
from machine_outputs import HIDDEN, PUBLISHED, build_fixture
from protego import Protego

MAX_REQUESTS = 300
MAX_SECONDS = 60.0
AGENT = "ClaudeBot"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class _Links(HTMLParser):
    """`href`s of `<a>` and `<link rel=alternate>`: what a crawler follows."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = values.get("href")
        if href and (tag == "a" or (tag == "link" and values.get("rel") in ("alternate", "canonical"))):
            self.found.append(href)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The fixture journal built for, and served at, http://127.0.0.1:PORT/sub/path/."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    base = f"http://127.0.0.1:{port}/sub/path/"
    site = build_fixture(tmp_path / "journal", base_url=base, extra_config="sitemap_max_urls = 2\n")
    host = tmp_path / "host"
    (host / "sub").mkdir(parents=True)
    (host / "sub" / "path").symlink_to(site, target_is_directory=True)
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Quiet, directory=str(host)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield base, site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def fetch(url: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": AGENT})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


def crawl(base: str) -> dict[str, tuple[int, str, bytes]]:
    """Breadth first from robots.txt, inside `base`, obeying robots.txt, within the bounds."""
    assert base.startswith("http://127.0.0.1:")
    status, _, body = fetch(base + "robots.txt")
    assert status == 200
    robots = Protego.parse(body.decode("utf-8"))
    queue = deque(robots.sitemaps)
    assert queue, "robots.txt names no sitemap"
    responses: dict[str, tuple[int, str, bytes]] = {base + "robots.txt": (status, "text/plain", body)}
    started = time.monotonic()
    while queue and len(responses) < MAX_REQUESTS and time.monotonic() - started < MAX_SECONDS:
        url = urldefrag(queue.popleft())[0]
        if url in responses or not url.startswith(base) or not robots.can_fetch(url, AGENT):
            continue
        responses[url] = fetch(url)
        status, kind, body = responses[url]
        if status != 200:
            continue
        if url.endswith(".xml") and b"sitemaps.org" in body:
            queue.extend(loc.text or "" for loc in etree.fromstring(body).iter("{*}loc"))
        elif kind == "text/html":
            parser = _Links()
            parser.feed(body.decode("utf-8"))
            queue.extend(urljoin(url, href) for href in parser.found)
    assert len(responses) < MAX_REQUESTS, "the crawl hit its bound"
    return responses


def test_a_crawler_from_robots_txt_reaches_every_published_paper(served: tuple[str, Path]) -> None:
    base, _ = served
    responses = crawl(base)
    ok = {url for url, (status, _, _) in responses.items() if status == 200}
    for slug in PUBLISHED:
        for name in ("", "paper.json", "paper.md"):
            assert f"{base}papers/{slug}/{name}" in ok, f"not reached: papers/{slug}/{name}"
    broken = sorted(url for url, (status, _, _) in responses.items() if status != 200)
    assert broken == [], broken
    assert base + "corpus/index.json" in ok and base + "sitemap-1.xml" in ok
    index = json.loads(responses[base + "corpus/index.json"][2])
    assert sorted(p["slug"] for p in index["papers"]) == sorted(PUBLISHED)
    for url, (_, _, body) in responses.items():
        for slug, title in HIDDEN.items():
            assert slug.encode() not in body and title.encode() not in body, (url, slug)
