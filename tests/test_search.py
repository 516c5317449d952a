"""Search without a server: the index that search.py writes (unit tests over real builds) and the page
that reads it, in Debian chromium (type a query, the right paper first, open it; no console errors;
axe-core finds nothing). The journal is served below a sub-path, so the base path is exercised too."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import AXE, CHROMIUM, CHROMIUM_ARGS, missing_tool, require_browser, serve
from conftest import paper_text, run, tree, write_journal

from mirror_site import search
from mirror_site.build import EXIT_HELD_BACK

BASE = "/journal/"
ARTIFACTS = Path(__file__).parent / "artifacts"
TINY_SHARD = 150  #: bytes: the fixture's few papers still make many shards


def front(title: str, date: str, abstract: str, *, author: str = "Probe Agent", extra: str = "") -> str:
    return (f'title: "{title}"\nauthors:\n  - name: "{author}"\n    kind: ai\n    model: "agent-model-1"\n'
            f'date: {date}\nabstract: "{abstract}"\n{extra}')


PAPERS = {
    "induction-heads-copying": front(
        "Induction heads implement in-context copying", "2026-01-10",
        "A two-layer attention-only transformer copies earlier tokens through a pair of heads.",
        extra="keywords: [in-context learning]\nsubject_models:\n  - name: attn-only-2l\nmethods: [attention-analysis, ablation]\n"
              "finding: novel\n"),
    "sae-features-pythia": front(
        "Sparse autoencoder features in Pythia-70M are mostly monosemantic", "2026-03-01",
        "Most dictionary features are interpretable; a few fire on the outputs of induction heads in layer 1.",
        author="Dictionary Agent",
        extra="keywords: [sparse autoencoders]\nsubject_models:\n  - name: Pythia-70M\nmethods: [sparse-autoencoder]\n"
              "finding: novel\n"),
    "grokking-replication": front(
        "Grokking in modular addition replicates across seeds", "2026-02-01",
        "Fourier features appear in all five seeds we trained, as the original account predicts.",
        extra="finding: replication\nmethods: [training-dynamics]\n"),
    "circuit-discovery-compared": front(
        "Circuit discovery methods compared on one task", "2026-01-20",
        "Three automated methods find overlapping subgraphs of a small model.", extra="methods: [circuit-discovery]\n"),
    "automated-circuits-recall": front(
        "Automated circuits for factual recall", "2026-02-20",
        "We trace how a medium model retrieves facts about cities.", extra="methods: [path-patching]\n"),
    "steering-does-not-transfer": front(
        "Steering vectors do not transfer across model sizes", "2026-02-15",
        "Vectors found on the small model fail on the larger one: a negative result.", author="Steer Agent",
        extra="finding: negative\nmethods: [steering]\n"),
    # Older papers enough for a second page of results.
    **{f"filler-{n:02d}": front(f"Filler study {n}", f"2025-06-{n:02d}", "Padding for a second page.") for n in range(1, 12)},
    # Never in the index: a draft, and a paper held back by an unknown method.
    "draft-zanzibar": front("Zanzibarish draft on attention", "2026-01-05", "Not ready.", extra="draft: true\n"),
    "held-back-quokka": front("Quokkatron circuits", "2026-01-06", "Invalid.", extra="methods: [frobnication]\n"),
}


def build_journal(root: Path) -> Path:
    files: dict[str, str | bytes] = {f"papers/{slug}/paper.md": paper_text(text) for slug, text in PAPERS.items()}
    files["mirror.toml"] = f'title = "Search Test Journal"\nbase_url = "http://127.0.0.1{BASE}"\n'
    write_journal(root, files)
    result = run(root, out=root.parent / "served" / BASE.strip("/"), jobs=1)
    assert result.exit_code == EXIT_HELD_BACK and result.held_back == ("held-back-quokka",), result.diagnostics
    return root.parent / "served"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The fixture journal built with tiny shards, so that a query touching few of them means something."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "SHARD_BYTES", TINY_SHARD)
        patch.setattr(search, "DOCS_PER_CHUNK", 2)
        yield build_journal(tmp_path_factory.mktemp("search") / "journal")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def index_of(site: Path) -> tuple[dict[str, Any], dict[str, list[tuple[int, int]]], list[list[Any]]]:
    """(manifest, term → [(doc, mask)] decoded from every shard, records in doc order)."""
    manifest = read_json(site / "search" / "manifest.json")
    folder = site / "search" / manifest["dir"]
    postings: dict[str, list[tuple[int, int]]] = {}
    for n in range(len(manifest["terms"])):
        for term, values in read_json(folder / f"t-{n}.json").items():
            assert term not in postings, f"{term} is in two shards"
            doc, decoded = 0, []
            for value in values:
                doc += value >> manifest["mask_bits"]
                decoded.append((doc, value & ((1 << manifest["mask_bits"]) - 1)))
            postings[term] = decoded
    chunks = -(-manifest["papers"] // manifest["docs_per_chunk"])
    records = [record for n in range(chunks) for record in read_json(folder / f"d-{n}.json")]
    assert len(list(folder.iterdir())) == len(manifest["terms"]) + chunks  # nothing else is published there
    return manifest, postings, records


def test_tokens_fold_case_and_accents_and_drop_short_and_stop_words() -> None:
    assert search.tokens("Über GPT-2 circuits in the Induction-Heads_of Café ﬁne-tuning") == [
        "uber", "gpt", "circuits", "induction", "heads", "cafe", "fine", "tuning"]
    assert search.tokens("No, not without a effect") == ["no", "not", "without", "effect"]  # negations stay
    assert search.tokens("") == [] and search.tokens("a I — the") == []


def test_index_holds_published_papers_only_with_field_masks(served: Path) -> None:
    manifest, postings, records = index_of(served / "journal")
    urls = [record[0] for record in records]
    assert manifest["papers"] == len(records) == 17
    assert "zanzibarish" not in postings and "quokkatron" not in postings
    assert not any("zanzibar" in url or "quokka" in url for url in urls)
    assert urls[0] == BASE + "papers/sae-features-pythia/"  # doc ids are newest first
    title, abstract = 1 << 0, 1 << 6
    doc = urls.index(BASE + "papers/induction-heads-copying/")
    assert (doc, title) in postings["induction"]
    assert (urls.index(BASE + "papers/sae-features-pythia/"), abstract) in postings["induction"]
    models, authors = 1 << 2, 1 << 3
    assert (urls.index(BASE + "papers/sae-features-pythia/"), title | models) in postings["pythia"]
    assert (urls.index(BASE + "papers/steering-does-not-transfer/"), authors) in postings["steer"]


def test_shards_are_sorted_consecutive_ranges(served: Path) -> None:
    manifest, postings, _ = index_of(served / "journal")
    firsts = manifest["terms"]
    assert len(firsts) > 5 and firsts == sorted(firsts)
    folder = served / "journal" / "search" / manifest["dir"]
    for n, (first, following) in enumerate(zip(firsts, firsts[1:] + [None], strict=True)):
        terms = list(read_json(folder / f"t-{n}.json"))
        assert terms[0] == first and terms == sorted(terms)
        assert following is None or terms[-1] < following
    assert re.fullmatch(r"[0-9a-f]{16}/", manifest["dir"])
    assert sorted(p.name for p in (served / "journal" / "search").iterdir()) == sorted(["index.html", "manifest.json",
                                                                                         manifest["dir"].strip("/")])


def test_index_is_byte_identical_across_builds_and_respects_the_base_path(tmp_path: Path, served: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SHARD_BYTES", TINY_SHARD)
    monkeypatch.setattr(search, "DOCS_PER_CHUNK", 2)
    again = build_journal(tmp_path / "journal")
    first, second = tree(served / "journal" / "search"), tree(again / "journal" / "search")
    assert first == second and len(first) > 10
    page = (served / "journal" / "search" / "index.html").read_text(encoding="utf-8")
    assert f'data-manifest="{BASE}search/manifest.json"' in page and f'src="{BASE}assets/search.js"' in page
    assert f'action="{BASE}search/"' in page and "<noscript>" in page
    home = (served / "journal" / "index.html").read_text(encoding="utf-8")
    assert f'<a class="site-search" href="{BASE}search/">Search</a>' in home
    assert all(record[0].startswith(BASE + "papers/") for record in index_of(served / "journal")[2])
    assert (served / "journal" / "assets" / "search.js").is_file()


def test_withdrawn_paper_is_found_by_title_but_its_abstract_is_not(journal: Path) -> None:
    write_journal(journal, {"papers/gone/paper.md": paper_text(front(
        "Withdrawn tombstone paper", "2026-01-02", "Secret abstract words.",
        extra="status: withdrawn\nretraction:\n  date: 2026-02-01\n  reason: duplicate\n"))})
    result = run(journal)
    assert result.published == ("gone",), result.diagnostics
    _, postings, records = index_of(journal / "site")
    assert "tombstone" in postings and "secret" not in postings
    assert records[0][4] == "" and records[0][-1] == "withdrawn"


# --- in the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Any:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def open_search(browser: Any, url: str, scheme: str = "light", width: int = 1280) -> tuple[Any, Any, list[str], list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.on("response", lambda r: errors.append(f"{r.status}: {r.url}") if r.status >= 400 else fetched.append(r.url))
    page.goto(url, wait_until="load")
    return context, page, errors, fetched


def results(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("#search-results li a.paper-link").all_inner_texts()]


def test_type_a_query_get_the_right_paper_first_and_open_it(served: Path, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(served) as host:
        context, page, errors, fetched = open_search(browser, f"{host}{BASE}search/")
        box = page.get_by_label("Titles, authors, abstracts, keywords, models studied and methods")
        box.click()
        page.keyboard.type("induction heads")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelectorAll('#search-results li').length >= 2")
        # The newer paper only says it in its abstract: the title match ranks first all the same.
        assert results(page) == ["Induction heads implement in-context copying",
                                 "Sparse autoencoder features in Pythia-70M are mostly monosemantic"]
        assert "2 papers match" in page.locator("#search-status").inner_text()
        first = page.locator("#search-results li").first
        assert "Probe Agent" in first.inner_text() and "10 January 2026" in first.inner_text()
        assert page.locator("#search-results li").nth(1).locator(".search-snippet mark").count() >= 2
        assert page.url.endswith("?q=induction+heads")
        shards = [url for url in fetched if re.search(r"/search/[0-9a-f]+/t-", url)]
        total = len(list((served / "journal" / "search").glob("*/t-*.json")))
        assert 1 <= len(shards) <= 2 * search.PREFIX_SHARDS < total, (len(shards), total)
        assert all(url.startswith(f"{host}{BASE}") for url in fetched)
        page.screenshot(path=str(ARTIFACTS / "search-results.png"), full_page=True)
        # Keyboard only: from the box, Tab past the button to the first result, Enter opens it.
        box.focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{host}{BASE}papers/induction-heads-copying/"
        assert page.locator("h1").inner_text() == "Induction heads implement in-context copying"
        assert errors == []
        context.close()


def test_exact_words_rank_above_prefixes_and_a_click_opens_the_paper(served: Path, browser: Any) -> None:
    with serve(served) as host:
        context, page, errors, _ = open_search(browser, f"{host}{BASE}search/?q=circuit")  # the URL carries the query
        page.wait_for_function("document.querySelectorAll('#search-results li').length >= 2")
        assert page.locator("#search-query").input_value() == "circuit"
        assert results(page)[:2] == ["Circuit discovery methods compared on one task", "Automated circuits for factual recall"]
        page.get_by_label("Titles, authors").fill("steer agent")  # by author name, as typed: no Enter needed
        page.wait_for_function("document.querySelector('#search-results a')?.textContent.startsWith('Steering')")
        assert results(page) == ["Steering vectors do not transfer across model sizes"]
        page.get_by_label("Titles, authors").fill("zanzibarish")
        page.wait_for_function("document.querySelector('#search-status').textContent.startsWith('No paper')")
        page.get_by_label("Titles, authors").fill("pythia")
        page.wait_for_function("document.querySelector('#search-results a')?.textContent.includes('Pythia')")
        with page.expect_navigation():
            page.locator("#search-results a").first.click()
        assert page.url.endswith(f"{BASE}papers/sae-features-pythia/")
        assert errors == []
        context.close()


def test_the_page_tokenises_like_the_indexer(served: Path, browser: Any) -> None:
    samples = ["Über GPT-2 circuits in the Induction-Heads_of Café ﬁne-tuning", "ΟΔΟΣ Straße İstanbul 𝐖_E ²³ x",
               "naïve   ÅNGSTRÖM — résumé; 日本語のモデル 70M", "No, not without a effect"]
    with serve(served) as host:
        context, page, errors, _ = open_search(browser, f"{host}{BASE}search/")
        for text in samples:
            assert page.evaluate("text => window.mirrorSearch.tokenize(text)", text) == search.tokens(text), text
        assert errors == []
        context.close()


def test_show_more_results_appends_the_next_page_and_focuses_it(served: Path, browser: Any) -> None:
    with serve(served) as host:
        context, page, errors, _ = open_search(browser, f"{host}{BASE}search/?q=filler")
        page.wait_for_function("document.querySelectorAll('#search-results li').length === 10")
        assert "11 papers match" in page.locator("#search-status").inner_text()
        more = page.get_by_role("button", name="Show more results")
        more.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelectorAll('#search-results li').length === 11")
        assert results(page)[0] == "Filler study 11" and results(page)[10] == "Filler study 1"  # newest first on a tie
        assert page.evaluate("document.activeElement.textContent") == "Filler study 1"
        assert more.is_hidden()
        assert errors == []
        context.close()


def test_no_horizontal_scroll_on_a_phone(served: Path, browser: Any) -> None:
    with serve(served) as host:
        context, page, errors, _ = open_search(browser, f"{host}{BASE}search/?q=sparse+autoencoder", width=375)
        page.wait_for_function("document.querySelectorAll('#search-results li').length >= 1")
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the search page scrolls sideways by {overflow}px at 375px"
        page.screenshot(path=str(ARTIFACTS / "search-mobile.png"), full_page=True)
        assert errors == []
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_on_the_search_page(served: Path, browser: Any, scheme: str) -> None:
    if not AXE.exists():
        missing_tool("axe-core is not installed (scripts/install-test-tools.sh installs it)")
    with serve(served) as host:
        context, page, errors, _ = open_search(browser, f"{host}{BASE}search/?q=model", scheme)
        page.wait_for_function("document.querySelectorAll('#search-results li').length >= 2")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
        assert violations == [], f"search page ({scheme}): {violations}"
        if scheme == "dark":
            page.screenshot(path=str(ARTIFACTS / "search-dark.png"), full_page=True)
        assert errors == []
        context.close()
