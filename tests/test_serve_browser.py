"""`mirror serve` in a real browser (Debian's chromium driven by Playwright): a page reloads by
itself after an edit, shows the overlay when the paper breaks and loses it when it is repaired."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import require_browser
from conftest import paper_text, write_journal
from test_serve import BROKEN_FRONT, serving

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_browser()  # skipped without chromium and playwright, failed in CI

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 15_000


def test_page_reloads_on_edit_and_shows_then_clears_the_overlay(journal: Path) -> None:
    from playwright.sync_api import sync_playwright

    paper = journal / "papers/p/paper.md"
    write_journal(journal, {"papers/p/paper.md": paper_text(body="# Intro\n\nThe first text.\n")})
    with serving(journal) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=WAIT_MS)
        try:
            page = browser.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(server.url + "papers/p/")
            page.get_by_text("The first text.").wait_for()
            page.evaluate("window.mirrorMark = 1")  # gone after a reload: proves the page reloaded itself
            page.wait_for_function("() => document.readyState === 'complete'")

            paper.write_text(paper_text(body="# Intro\n\nThe second text.\n"))
            page.get_by_text("The second text.").wait_for()
            assert page.evaluate("window.mirrorMark") is None

            paper.write_text(paper_text(BROKEN_FRONT, body="# Intro\n\nThe broken text.\n"))
            overlay = page.locator("#mirror-overlay")
            overlay.wait_for(state="visible")
            assert "papers/p/paper.md:5:11" in overlay.inner_text()
            assert page.get_by_text("The second text.").is_visible()  # the last good build under it

            paper.write_text(paper_text(body="# Intro\n\nThe repaired text.\n"))
            page.get_by_text("The repaired text.").wait_for()
            overlay.wait_for(state="detached")
        finally:
            browser.close()
