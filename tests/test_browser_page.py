"""What readers see, checked in a real browser (Debian chromium): math laid out as MathML boxes,
figures loaded, no console errors, no sideways scrolling on a phone, no axe-core violations in
light or dark mode. Screenshots are saved to tests/artifacts/ to be looked at."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from browser import AXE, CHROMIUM, CHROMIUM_ARGS, missing_tool, require_browser, serve
from conftest import run

JOURNAL = Path(__file__).parent / "fixtures" / "browser-journal"
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser") / "journal"
    shutil.copytree(JOURNAL, root)
    result = run(root, jobs=1, strict=True)
    assert result.exit_code == 0, [d.format() for d in result.diagnostics] + [result.failure]
    return root / "site"


@pytest.fixture(scope="module")
def browser() -> Any:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def open_page(browser: Any, url: str, width: int, scheme: str = "light") -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto(url, wait_until="load")
    return context, page, errors


def test_paper_page_renders_math_figures_and_has_no_errors(site: Path, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(site) as base:
        context, page, errors = open_page(browser, f"{base}/papers/scholarly-page/", 1280)
        maths = page.eval_on_selector_all(
            "math", "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })")
        assert len(maths) >= 6
        assert all(w > 0 and h > 0 for w, h in maths), maths
        # A display equation is laid out taller than a line of text: MathML really rendered.
        tallest = page.eval_on_selector_all("div.equation math", "els => Math.max(...els.map(e => e.getBoundingClientRect().height))")
        assert tallest > 30
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # figures load lazily
        page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=10_000)
        images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        assert len(images) == 2 and all(width > 0 for width in images), images
        assert page.locator("figure#fig\\:spectrum figcaption").inner_text().startswith("Figure 1.")
        assert page.locator("a.crossref[href='#tab:freqs']").first.inner_text() == "Table\u00a01"
        assert page.locator(".reference-list li").count() == 2
        assert page.locator(".sidenote").first.is_visible()  # wide screen: notes beside the text
        page.screenshot(path=str(ARTIFACTS / "paper-desktop.png"), full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=str(ARTIFACTS / "paper-print.png"), full_page=True)
        assert errors == []
        context.close()


def test_no_horizontal_scroll_on_a_phone(site: Path, browser: Any) -> None:
    with serve(site) as base:
        for path in ("/papers/scholarly-page/", "/"):
            context, page, errors = open_page(browser, base + path, 375)
            overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
            assert not page.locator(".sidenote").first.is_visible() if path != "/" else True
            if path != "/":
                page.screenshot(path=str(ARTIFACTS / "paper-mobile.png"), full_page=True)
            assert errors == []
            context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(site: Path, browser: Any, scheme: str) -> None:
    if not AXE.exists():
        missing_tool("axe-core is not installed (scripts/install-test-tools.sh installs it)")
    with serve(site) as base:
        for path in ("/papers/scholarly-page/", "/", "/404.html"):
            context, page, _ = open_page(browser, base + path, 1280, scheme)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
            assert violations == [], f"{path} ({scheme}): {violations}"
            if path == "/papers/scholarly-page/" and scheme == "dark":
                page.screenshot(path=str(ARTIFACTS / "paper-dark.png"), full_page=True)
            context.close()
