"""The journal's own features over one fixture journal: every relation kind and its backlinks, a
three-version paper made with `mirror freeze`, a retracted paper cited by two others, a withdrawn
tombstone, supplements."""

from __future__ import annotations

import datetime
import gzip
import json
import shutil
from pathlib import Path

import pytest
from conftest import paper_text, run, tree, write_journal

from mirror_site.build import EXIT_FAILED, EXIT_OK
from mirror_site.versions import freeze


def front(title: str, extra: str = "", date: str = "2026-01-15") -> str:
    return f"""\
title: "{title}"
authors:
  - name: "Agent {title.split()[0]}"
    kind: ai
    model: "agent-model-1"
date: {date}
abstract: "About {title}."
{extra}"""


PAPERS = {
    "base-result": (front("Base result"), "# Result\n\nThe original finding.\n"),
    "replication": (front("Replication of base", """relations:
  replicates: [base-result]
  extends: [mirror:base-result]
  uses_method_of: [base-result, "arxiv:2301.05217"]
"""), "# R\n\nWe replicate [@mirror:base-result].\n"),
    "failed-replication": (front("Failed replication", """finding: failed-replication
relations:
  fails_to_replicate: [base-result]
  contradicts: [base-result]
"""), "# F\n\nContrary to @mirror:base-result, nothing.\n"),
    "retracted-one": (front("Retracted claim", """status: retracted
retraction:
  date: 2026-02-01
  reason: "The evaluation leaked test data."
"""), "# Claim\n\nA claim that did not hold.\n"),
    "cites-retracted-a": (front("First citer"), "# A\n\nBuilding on [@mirror:retracted-one].\n"),
    "cites-retracted-b": (front("Second citer", "relations:\n  extends: [retracted-one]\n"), "# B\n\nSee [@mirror:retracted-one].\n"),
    "taken-down": (front("Taken down", """status: withdrawn
retraction:
  date: 2026-03-01
  reason: "Withdrawn at the authors' request: consent for the data was missing."
"""), "# Secret body\n\nThis text must not be published.\n"),
    "renamed-paper": (front("Renamed paper", "aliases: [old-name, older-name]\n"), "# Moved\n\nHere now.\n"),
    "with-supplements": (front("With supplements", """supplements:
  - path: code/run.py
    description: "The experiment"
  - path: data/results.json
    description: "All numbers of the paper"
"""), "# S\n\nSee the code.\n"),
}


REVIEW = """---
reviewer:
    name: Careful Agent
    kind: ai
    model: reviewer-model-2
date: 2026-01-20
recommendation: minor-revision
scores:
  soundness: 4
  clarity: 2
---
# Strengths

The replication is faithful.

# Weaknesses

One seed only.[^seeds]

[^seeds]: Five would show the spread.
"""


def make_journal(root: Path) -> Path:
    files: dict[str, str | bytes] = {f"papers/{slug}/paper.md": paper_text(fm, body) for slug, (fm, body) in PAPERS.items()}
    files["papers/with-supplements/code/run.py"] = "print('hi')\n"
    files["papers/with-supplements/code/unlisted.py"] = "SECRET_UNLISTED = 1\n"
    files["papers/with-supplements/data/results.json"] = '{"accuracy": 0.93}\n'
    files["papers/replication/reviews/01-careful-agent.md"] = REVIEW
    files["papers/replication/reviews/02-human-editor.md"] = REVIEW.replace(
        "name: Careful Agent\n    kind: ai\n    model: reviewer-model-2", "name: Human Editor\n    kind: human").replace(
        "minor-revision", "accept")
    write_journal(root, files)
    # Three versions of base-result, each frozen with `mirror freeze`.
    folder = root / "papers/base-result"
    assert freeze(folder, "typo", "Fix a typo", datetime.date(2026, 2, 1)) == ""
    (folder / "paper.md").write_text((folder / "paper.md").read_text().replace("The original finding.", "The finding, v2."))
    assert freeze(folder, "correction", "Correct Table 1", datetime.date(2026, 3, 1)) == ""
    (folder / "paper.md").write_text((folder / "paper.md").read_text().replace("The finding, v2.", "The finding, v3."))
    return root


@pytest.fixture
def built(tmp_path: Path) -> Path:
    root = make_journal(tmp_path / "journal")
    result = run(root, jobs=1)
    assert result.exit_code == EXIT_OK, [d.format() for d in result.diagnostics] + [result.failure]
    return root


def page(root: Path, path: str) -> str:
    return (root / "site" / path).read_text(encoding="utf-8")


def test_relations_and_backlinks(built: Path) -> None:
    base = page(built, "papers/base-result/index.html")
    for label in ("Replicated by", "Extended by", "Method used by", "Failed replications", "Contradicted by", "Cited by"):
        assert f"<dt>{label}</dt>" in base, label
    assert base.count('href="/papers/replication/"') >= 3
    replication = page(built, "papers/replication/index.html")
    assert "<dt>Replicates</dt>" in replication and 'href="https://arxiv.org/abs/2301.05217"' in replication
    assert 'data-slug="base-result" data-form="paren">Agent Base, 2026</a>' in replication


def test_inverse_lists_in_paper_json_and_corpus(built: Path) -> None:
    expected = {"replicated_by": ["replication"], "failed_replications": ["failed-replication"],
                "extended_by": ["replication"], "contradicted_by": ["failed-replication"],
                "method_used_by": ["replication"], "cited_by": ["failed-replication", "replication"]}
    site = built / "site"
    assert json.loads(page(built, "papers/base-result/paper.json"))["linked_from"] == expected
    index = {p["slug"]: p for p in json.loads(page(built, "corpus/index.json"))["papers"]}
    assert index["base-result"]["linked_from"] == expected
    assert index["retracted-one"]["linked_from"]["cited_by"] == ["cites-retracted-a", "cites-retracted-b"]
    records = {r["slug"]: r for r in map(json.loads, (site / "corpus/papers.jsonl").read_text().splitlines())}
    assert records["base-result"]["linked_from"] == expected
    assert records["replication"]["linked_from"] == dict.fromkeys(expected, [])
    # Retracted and withdrawn papers are flagged; a withdrawn one keeps its record but not its text.
    assert index["retracted-one"]["status"] == "retracted" and index["taken-down"]["status"] == "withdrawn"
    assert records["taken-down"]["retraction"]["reason"].startswith("Withdrawn at the authors' request")
    assert records["taken-down"]["markdown"] is None and records["taken-down"]["text"] is None


def test_a_new_citer_updates_the_cited_record_in_an_incremental_build(tmp_path: Path) -> None:
    """The record of a paper depends on who cites it: a cached build must not reuse the old shard."""
    files: dict[str, str | bytes] = {
        "papers/cited/paper.md": paper_text(front("Cited", date="2026-01-15")),
        "papers/other/paper.md": paper_text(front("Other", date="2026-03-15")),
    }
    root = write_journal(tmp_path / "j", files)
    with (root / "mirror.toml").open("a") as toml:
        toml.write("corpus_shard_bytes = 100\n")  # one gzip shard per issue
    assert run(root, jobs=1).exit_code == EXIT_OK
    write_journal(root, {"papers/citer/paper.md": paper_text(front("Citer", date="2026-03-20"),
                                                             "# C\n\nAs [@mirror:cited] found.\n")})
    assert run(root, jobs=1).exit_code == EXIT_OK
    shard = gzip.decompress((root / "site/corpus/papers-2026-01.jsonl.gz").read_bytes())
    assert json.loads(shard)["linked_from"]["cited_by"] == ["citer"]
    assert json.loads(page(root, "papers/cited/paper.json"))["linked_from"]["cited_by"] == ["citer"]


def test_three_versions(built: Path) -> None:
    latest = page(built, "papers/base-result/index.html")
    assert "The finding, v3." in latest and "version 3 of 3" in latest
    v1, v2 = page(built, "papers/base-result/v1/index.html"), page(built, "papers/base-result/v2/index.html")
    assert "The original finding." in v1 and "You are reading version 1" in v1
    assert "The finding, v2." in v2 and 'href="/papers/base-result/">Read the latest version (3)' in v2
    assert "Correct Table 1" in latest and "Fix a typo" in latest
    assert (built / "site/papers/base-result/v1/paper.md").read_bytes() == (built / "papers/base-result/versions/v1.md").read_bytes()


def test_tampered_version_fails_the_build_naming_the_file(built: Path) -> None:
    before = tree(built / "site")
    again = run(built, jobs=1)
    assert again.exit_code == EXIT_OK and tree(built / "site") == before  # untampered: byte-stable
    frozen = built / "papers/base-result/versions/v1.md"
    frozen.write_text(frozen.read_text().replace("original", "rewritten"))
    result = run(built, jobs=1)
    assert result.exit_code == EXIT_FAILED
    assert "papers/base-result/versions/v1.md" in result.failure
    assert any(d.code == "version-tampered" and d.path == "papers/base-result/versions/v1.md" for d in result.diagnostics)
    assert tree(built / "site") == before


def test_retracted_paper_stays_with_notice_and_citers_show_it(built: Path) -> None:
    retracted = page(built, "papers/retracted-one/index.html")
    assert "This paper was retracted on" in retracted and "The evaluation leaked test data." in retracted
    assert "A claim that did not hold." in retracted  # stays online, whole
    for citer in ("cites-retracted-a", "cites-retracted-b"):
        html = page(built, f"papers/{citer}/index.html")
        assert '<strong class="notice">[retracted]</strong>' in html, citer


def test_withdrawn_paper_is_a_tombstone(built: Path) -> None:
    html = page(built, "papers/taken-down/index.html")
    assert "This paper was withdrawn on" in html and "consent for the data was missing" in html
    site = tree(built / "site")
    assert not any(b"This text must not be published" in data for data in site.values())
    assert not (built / "site/papers/taken-down/paper.md").exists()


def test_supplements_published_with_sizes_and_nothing_unlisted(built: Path) -> None:
    html = page(built, "papers/with-supplements/index.html")
    assert 'href="/papers/with-supplements/code/run.py">code/run.py</a> — The experiment' in html
    assert '— The experiment <span class="size">(12 Bytes)</span>' in html  # print('hi')\n
    assert (built / "site/papers/with-supplements/data/results.json").read_text() == '{"accuracy": 0.93}\n'
    assert not any(b"SECRET_UNLISTED" in data for data in tree(built / "site").values())


def test_relation_to_unknown_paper_holds_back_and_to_held_paper_warns(tmp_path: Path) -> None:
    root = write_journal(tmp_path / "j", {
        "papers/good/paper.md": paper_text(front("Good", "relations:\n  extends: [broken]\n")),
        "papers/dangling/paper.md": paper_text(front("Dangling", "relations:\n  replicates: [no-such-paper]\n")),
        "papers/broken/paper.md": "not a paper",
    })
    result = run(root, jobs=1)
    assert result.published == ("good",)
    found = {(d.path, d.line, d.code, d.level) for d in result.diagnostics}
    assert ("papers/good/paper.md", 10, "mirror-link-held", "warning") in found
    assert ("papers/dangling/paper.md", 10, "mirror-link-unknown", "error") in found


def test_citing_an_unknown_mirror_paper_is_an_error_on_its_line(tmp_path: Path) -> None:
    root = write_journal(tmp_path / "j", {
        "papers/good/paper.md": paper_text(front("Good")),
        "papers/citer/paper.md": paper_text(front("Citer"), "# C\n\nText.\n\nAs [@mirror:no-such-paper] showed.\n"),
    })
    result = run(root, jobs=1)
    assert result.published == ("good",) and result.held_back == ("citer",)
    assert [(d.path, d.line, d.code) for d in result.diagnostics] == [("papers/citer/paper.md", 14, "mirror-link-unknown")]


def test_freeze_refuses_to_overwrite(tmp_path: Path) -> None:
    root = write_journal(tmp_path / "j", {"papers/p/paper.md": paper_text(front("P"))})
    assert freeze(root / "papers/p", "typo", "x", datetime.date(2026, 1, 2)) == ""
    shutil.copy(root / "papers/p/versions/v1.md", root / "papers/p/versions/v2.md")
    assert "already exists" in freeze(root / "papers/p", "typo", "y", datetime.date(2026, 1, 3))
    data = json.dumps(run(root, jobs=1).published)
    assert "p" in data


def test_reviews_pages_json_and_summary(built: Path) -> None:
    paper_page = page(built, "papers/replication/index.html")
    assert "Reviews (2)" in paper_page and "<strong>minor revision</strong>" in paper_page
    scale = '<span class="scale">on a scale of 1 (poor) to 5 (excellent)</span>'
    assert f"<dt>soundness</dt><dd>4 (very good) {scale}</dd>" in paper_page
    listing = page(built, "papers/replication/reviews/index.html")
    assert "Careful Agent" in listing and "Human Editor" in listing and "One seed only." in listing
    one = page(built, "papers/replication/reviews/01-careful-agent/index.html")
    assert "AI · reviewer-model-2" in one and "Human Editor" not in one
    record = json.loads((built / "site/papers/replication/reviews/01-careful-agent/review.json").read_text())
    assert record["scores"]["clarity"] == {"score": 2, "label": "fair"} and record["reviewer"]["kind"] == "ai"
    assert record["recommendation"] == "minor-revision" and "One seed only." in record["report_html"]


def test_invalid_review_holds_its_paper_back(tmp_path: Path) -> None:
    root = write_journal(tmp_path / "j", {
        "papers/p/paper.md": paper_text(front("P")),
        "papers/p/reviews/01-x.md": REVIEW.replace("clarity: 2", "clarity: 9").replace("minor-revision", "maybe"),
    })
    result = run(root, jobs=1)
    assert result.held_back == ("p",)
    found = sorted((d.path, d.line, d.code) for d in result.diagnostics)
    assert found == [("papers/p/reviews/01-x.md", 7, "choice"), ("papers/p/reviews/01-x.md", 10, "range")]


def test_aliases_redirect_and_cannot_take_a_slug(built: Path, tmp_path: Path) -> None:
    redirect = page(built, "papers/old-name/index.html")
    assert '<meta http-equiv="refresh" content="0; url=/papers/renamed-paper/">' in redirect
    assert "papers/older-name/index.html" in tree(built / "site")
    clash = write_journal(tmp_path / "j", {
        "papers/a/paper.md": paper_text(front("A", "aliases: [b]\n")), "papers/b/paper.md": paper_text(front("B"))})
    result = run(clash, jobs=1)
    assert result.held_back == ("a", "b") and {d.code for d in result.diagnostics} == {"duplicate-slug"}


def test_listings_and_their_feeds(built: Path) -> None:
    site = built / "site"
    failed = page(built, "findings/failed-replication/index.html")
    assert 'href="/papers/failed-replication/"' in failed and "Base result" not in failed
    for kind in ("novel", "replication", "negative", "survey"):  # every kind has a listing and feeds, even empty
        assert (site / f"findings/{kind}/index.html").is_file() and (site / f"findings/{kind}/feed.atom").is_file()
    year = page(built, "archive/2026/index.html")
    assert "Volume 2026" in year and year.count('class="paper-link"') == len(PAPERS) - 1  # the withdrawn one left
    assert "Taken down" not in year
    assert (site / "archive/2026/01/index.html").is_file()
    author = page(built, "authors/agent-base/index.html")
    assert 'href="/papers/base-result/"' in author
    assert '<p class="listing-about">An AI system; on these papers it was agent-model-1.</p>' in author
    topics = page(built, "findings/index.html")
    assert 'href="/findings/failed-replication/"' in topics
    retracted = page(built, "authors/agent-retracted/index.html")
    assert '<strong class="notice">[retracted]</strong>' in retracted
    assert b"/papers/failed-replication/" in (site / "findings/failed-replication/feed.atom").read_bytes()


def test_journal_pages_and_listing_feeds_pass_the_validators(built: Path) -> None:
    """Review pages, earlier versions, alias redirects, the tombstone, listings and their feeds pass
    the same validators as the machine outputs: the Nu Html Checker, the Atom grammar, JSON Feed."""
    from machine_outputs import FIXTURES, node_file, run_tool, tool

    site = built / "site"
    for page in ("papers/replication/reviews/01-careful-agent/index.html", "papers/base-result/v1/index.html",
                 "papers/old-name/index.html", "papers/taken-down/index.html", "findings/failed-replication/index.html"):
        assert (site / page).is_file(), page
    result = run_tool(tool("java"), "-jar", node_file("vnu-jar/build/dist/vnu.jar"), "--errors-only", "--skip-non-html",
                      "--format", "json", site)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    assert [f"{m.get('url')}:{m.get('lastLine')}: {m['message']}" for m in messages if m["type"] == "error"] == []
    atoms = sorted(site.rglob("feed.atom"))
    result = run_tool(tool("jing"), "-c", FIXTURES / "atom.rnc", *atoms)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_tool(tool("check-jsonschema"), "--schemafile", FIXTURES / "jsonfeed-1.1.schema.json",
                      *[a.with_name("feed.json") for a in atoms])
    assert result.returncode == 0, result.stdout + result.stderr


def test_pagination_keeps_numbered_pages_stable() -> None:
    from mirror_site.listings import paginate

    def fake(n: int) -> list[object]:
        return [f"paper-{i:03d}" for i in range(n, 0, -1)]  # newest first, as listings hold them

    before = {p.path: p.papers for p in paginate("t/", fake(25), size=10)}  # type: ignore[arg-type]
    after = {p.path: p.papers for p in paginate("t/", fake(31), size=10)}  # type: ignore[arg-type]
    assert before["t/page/1/index.html"] == after["t/page/1/index.html"]
    assert before["t/page/2/index.html"] == after["t/page/2/index.html"]
    assert after["t/index.html"][0] == "paper-031" and len(after) == 5
