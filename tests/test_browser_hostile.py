"""Nothing from a paper runs script in a reader's browser (RELIABILITY.md rows 24–27, 41; issue 8).

A hostile journal (every payload of fuzz_journal in bodies, titles, abstracts, author names,
keywords, BibTeX, reviews, figures) and a few fuzzed journals are built, served on 127.0.0.1, and
every page is opened in Debian chromium through playwright. Every payload sets `window.__pwned` or
opens a dialog; the test requires that no dialog opened and `window.__pwned` stayed undefined, and it
reads the DOM as chromium parsed it: no script but the site's own, no event-handler attribute, no
script URL in a link, form or frame, no embedded document. The search page is also queried, so that
payloads travel through the search index into the results list.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser import CHROMIUM, CHROMIUM_ARGS, require_browser, serve
from conftest import PNG_3x2, run
from fuzz_journal import JS, MARK, PAYLOADS, SCRIPT_URLS, SVG_EVIL, SVG_PLAIN, TEX, Entry, describe, journals, write_tree
from hypothesis import HealthCheck, given, note, settings

from mirror_site.build import EXIT_HELD_BACK, EXIT_OK

CAMPAIGN = int(os.environ.get("MIRROR_FUZZ_EXAMPLES", "0") or 0)

#: What chromium's DOM must not hold, checked in the page itself.
DOM_CHECK = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) problems.push(`${el.tagName} ${attr.name}=`);
      if (attr.name.toUpperCase().includes('PWNMARK') || el.tagName.toUpperCase().includes('PWNMARK'))
        problems.push(`payload markup ${el.tagName} ${attr.name}`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc', 'poster'].includes(attr.name)
          && /^(javascript|vbscript|data|file):/i.test(attr.value.replace(/[\\x00-\\x20\\x7f]/g, '')))
        problems.push(`${el.tagName} ${attr.name}=${attr.value.slice(0, 60)}`);
    }
  }
  for (const el of document.querySelectorAll('iframe, frame, object, embed, base, svg, style, template, meta[http-equiv]'))
    problems.push(`element ${el.tagName}`);
  for (const s of document.scripts) {
    const own = s.type === 'application/ld+json' || (s.src && new URL(s.src).pathname === '/assets/search.js');
    if (!own) problems.push(`script ${s.type} ${s.src} ${s.text.slice(0, 60)}`);
  }
  return problems;
}"""


def hostile_files() -> dict[str, Entry]:
    """Payloads in every place a paper can put text, in papers that are published (warnings only)."""
    inline = " ".join(PAYLOADS) + " " + " ".join(f"[x{i}]({url})" for i, url in enumerate(SCRIPT_URLS))
    body = "\n\n".join([
        "# Introduction " + PAYLOADS[0],
        *PAYLOADS,
        inline,
        " ".join(f"<{url}>" for url in SCRIPT_URLS),
        "\n".join(f"[ref{i}]: {url}" for i, url in enumerate(SCRIPT_URLS)) + "\n\n"
        + " ".join(f"[see][ref{i}]" for i in range(len(SCRIPT_URLS))),
        " ".join(f"${tex}$" for tex in TEX if tex),
        "$$\n\\text{</math><script>window.__pwned=1</script>}\n$$",
        f"```{PAYLOADS[2]}\n{PAYLOADS[0]}\n```",
        f"| a | b |\n|---|---|\n| {PAYLOADS[1]} | {PAYLOADS[3]} |",
        f"Note[^1] and ^[inline {PAYLOADS[0]}].\n\n[^1]: {PAYLOADS[1]} [x](javascript:{JS})",
        "![A plot.](figures/plain.svg)\n\n![Fine.](figures/fig.png){width=\"1px\" onerror=\"window.__pwned=1\"}",
        f"## Heading {{#x onclick=\"{JS}\"}}\n\nText {{onmouseover={JS}}}",
    ])
    front = {
        "title": "</script><script>window.__pwned=1</script> & <img src=x onerror=window.__pwned=1>",
        "authors": [{"name": "Agent <img src=x onerror=window.__pwned=1>", "kind": "ai",
                     "model": "model </script><script>window.__pwned=1</script>"}],
        "date": "2026-01-15",
        "abstract": f"Abstract {PAYLOADS[0]} {PAYLOADS[1]} [x](javascript:{JS}) $\\text{{<script>{JS}</script>}}$",
        "keywords": ["<script>window.__pwned=1</script>", "x\" onmouseover=\"window.__pwned=1"],
        "subject_models": [{"name": "<svg onload=window.__pwned=1>", "url": "https://example.org/m"}],
        "claims": [{"id": "claim-one", "statement": f"It holds {PAYLOADS[1]}"}],
        "extra": {"note": PAYLOADS[0]},
    }
    review = ("---\nreviewer: {name: \"R <img src=x onerror=window.__pwned=1>\", kind: ai, model: m}\ndate: 2026-01-16\n"
              f"recommendation: accept\n---\nFine. {PAYLOADS[0]} [x](javascript:{JS})\n")
    bib = ("@article{nanda2023,\n  author = {Nanda, Neel and <script>window.__pwned=1</script>},\n"
           f"  title = {{{PAYLOADS[1]}}},\n  journal = {{{PAYLOADS[0]}}},\n  year = {{2023}},\n  url = {{javascript:{JS}}}\n}}\n")
    return {
        "papers/hostile/paper.md": "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body + "\n\nAs in [@nanda2023].\n",
        "papers/hostile/references.bib": bib,
        "papers/hostile/reviews/01-reviewer.md": review,
        "papers/hostile/figures/plain.svg": SVG_PLAIN,
        "papers/hostile/figures/fig.png": PNG_3x2,
        "papers/evil-figure/paper.md": "---\n" + yaml.safe_dump({**front, "title": "Evil figure"}) + "---\n![x](evil.svg)\n",
        "papers/evil-figure/evil.svg": SVG_EVIL,
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def visit_every_page(browser: Any, site: Path) -> int:
    """Open every HTML page and SVG file of `site`; fail on a dialog, `window.__pwned` or a DOM problem."""
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.suffix in (".html", ".svg"))
    with serve(site) as base:
        context = browser.new_context(java_script_enabled=True)
        dialogs: list[str] = []
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        try:
            for name in pages:
                page.goto(f"{base}/{name}", wait_until="load")
                page.wait_for_timeout(20)  # timers and load handlers a payload might have set
                assert page.evaluate("() => typeof window.__pwned") == "undefined", f"script from a paper ran on {name}"
                if name.endswith(".html"):
                    problems = page.evaluate(DOM_CHECK)
                    assert problems == [], f"{name}: {problems}"
                assert dialogs == [], f"a dialog opened on {name}: {dialogs}"
        finally:
            context.close()
    return len(pages)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    write_tree(root, hostile_files())
    result = run(root / "journal", jobs=1)
    assert result.exit_code == EXIT_HELD_BACK, [d.format() for d in result.diagnostics] + [result.failure]
    assert result.published == ("hostile",) and result.held_back == ("evil-figure",), [d.format() for d in result.diagnostics]
    return root / "journal" / "site"


def test_no_payload_runs_on_any_page_of_a_hostile_journal(browser: Any, hostile_site: Path) -> None:
    assert (hostile_site / "papers/hostile/index.html").is_file()
    assert (hostile_site / "papers/hostile/figures/plain.svg").is_file()
    assert not (hostile_site / "papers/evil-figure").exists()
    visited = visit_every_page(browser, hostile_site)
    assert visited >= 25  # the paper, its reviews, listings, topics, authors, models, search, 404, the SVG figure


@pytest.mark.parametrize("planted", ["<script>window.__pwned=1</script>", "<img src=x onerror=alert(1)>",
                                     '<a href="javascript:void(0)">x</a>'])
def test_the_check_sees_script_that_runs(browser: Any, hostile_site: Path, tmp_path: Path, planted: str) -> None:
    """The visit is proven to fail on a page that does run script (or could, on a click)."""
    import shutil

    copy = tmp_path / "site"
    shutil.copytree(hostile_site, copy)
    page = copy / "papers/hostile/index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", planted + "</main>"), encoding="utf-8")
    with pytest.raises(AssertionError):
        visit_every_page(browser, copy)


def test_payloads_shown_as_search_results_stay_text(browser: Any, hostile_site: Path) -> None:
    """The search script writes titles, authors and abstracts from the index into the page: as text."""
    with serve(hostile_site) as base:
        context = browser.new_context()
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        try:
            for query in ("script", "pwned", "onerror", "img"):
                page.goto(f"{base}/search/?q={query}", wait_until="load")
                page.wait_for_selector("#search-results li", timeout=10_000)
                html = page.inner_html("#search-results")
                assert "pwned" in html and "<script" not in html and "<img" not in html, html[:500]
                assert page.evaluate("() => typeof window.__pwned") == "undefined"
                assert page.evaluate(DOM_CHECK) == []
            assert dialogs == []
        finally:
            context.close()


@given(journals())
@settings(max_examples=CAMPAIGN or 3, derandomize=not CAMPAIGN, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
def test_no_payload_runs_on_any_page_of_fuzzed_journals(browser: Any, files: dict[str, Entry]) -> None:
    """Journals from the fuzzer's strategy, every page of each opened in chromium."""
    note(describe(files))
    with tempfile.TemporaryDirectory(prefix="mirror-fuzz-browser-") as folder:
        root = Path(folder)
        write_tree(root, files)
        result = run(root / "journal", jobs=1)
        assert result.exit_code in (EXIT_OK, EXIT_HELD_BACK) or result.failure, result
        if (root / "journal" / "site").is_dir():
            visit_every_page(browser, root / "journal" / "site")


assert MARK in "".join(PAYLOADS)  # the DOM check looks for it
