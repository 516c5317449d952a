"""Fuzzing the whole build with hypothesis (the strategies are in fuzz_journal.py).

Properties of every generated journal (front matter, Markdown, BibTeX, file trees with links):
- no traceback: `build` returns, and every problem is a `Diagnostic` anchored in the journal;
- nothing is written outside the output directory, no output is a link, no secret behind a link leaks;
- no page holds script that did not come from the site itself (`markup_check.script_problems`), and
  the HTML that feed readers render (RSS descriptions) holds none either;
- every held-back paper is named by an error diagnostic; no paper is both published and held back;
- determinism: two builds of the same journal give the same result and byte-identical trees.

CI runs a short derandomized campaign (fast and reproducible). A long, random campaign runs locally:

    MIRROR_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py -p no:cacheprovider

Campaign figures are recorded in docs/reliability.md.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fuzz_journal import SECRET_TEXT, Entry, bibtex, describe, front_matter, journals, markdown_body, write_tree
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from markup_check import script_problems

from mirror_site.bibliography import load_bibliography
from mirror_site.build import EXIT_FAILED, EXIT_HELD_BACK, EXIT_OK, BuildOptions, BuildResult, build
from mirror_site.diagnostics import Diagnostic
from mirror_site.store import CACHE_DIR

CAMPAIGN = int(os.environ.get("MIRROR_FUZZ_EXAMPLES", "0") or 0)  #: examples per test of a long local campaign


def fuzz(default: int) -> settings:
    """`default` derandomized examples in CI; MIRROR_FUZZ_EXAMPLES random ones in a campaign."""
    return settings(max_examples=CAMPAIGN or default, derandomize=not CAMPAIGN, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
                    print_blob=True)


# --- the properties ---------------------------------------------------------------------------------

#: A renderer failure that is not Mirror's documented refusal of deep nesting is a bug to fix.
INTERNAL = re.compile(r"\((?!RecursionError)[A-Za-z]*(Error|Exception)\b")


def check_diagnostic(d: Diagnostic) -> None:
    assert isinstance(d, Diagnostic), d
    assert d.path and not d.path.startswith(("/", "\\")) and ".." not in d.path.split("/"), d.format()
    assert d.path.split("/")[0] in ("papers", "mirror.toml", "templates", "static"), d.format()
    assert d.line >= 0 and d.col >= 0 and re.fullmatch(r"[a-z0-9-]+", d.code) and d.message, d.format()
    assert "Traceback" not in d.message, d.format()
    assert not (d.code == "render-failed" and INTERNAL.search(d.message)), f"an internal error: {d.format()}"


def files_outside(root: Path, outs: tuple[Path, ...]) -> dict[str, tuple[int, int, str]]:
    """Every entry under `root` except the output folders, their siblings (`.out.lock`, the manifest, the
    spare) and the journal's render cache: kind, size, link target."""
    found: dict[str, tuple[int, int, str]] = {}
    skip = {o.name for o in outs}
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        if here == root:
            dirs[:] = [d for d in dirs if d not in skip and not any(d.startswith(f".{s}.") for s in skip)]
            names = [n for n in names if not any(n.startswith(f".{s}.") for s in skip)]
        if here == root / "journal":
            dirs[:] = [d for d in dirs if d != CACHE_DIR]
        for name in dirs + names:
            path = here / name
            info = path.lstat()
            target = os.readlink(path) if path.is_symlink() else ""
            found[path.relative_to(root).as_posix()] = (info.st_mode, info.st_size if not path.is_dir() else 0, target)
    return found


def slug_of(path: str) -> str:
    return path.split("/")[1] if path.startswith("papers/") and path.count("/") >= 1 else ""


def check_result(result: BuildResult, journal: Path) -> None:
    for d in result.diagnostics:
        check_diagnostic(d)
    folders = {p.name for p in (journal / "papers").iterdir()}
    published, held = set(result.published), set(result.held_back)
    assert published <= folders and held <= folders and not published & held, (published, held)
    errors = [d for d in result.diagnostics if d.level == "error"]
    for slug in held:
        assert any(slug_of(d.path) == slug for d in errors), f"{slug} is held back without an error naming it"
    for slug in folders - published - held:  # drafts and papers dated in the future wait, without errors
        assert not any(slug_of(d.path) == slug for d in errors), f"{slug} has errors but is not held back"
    if result.failure:
        assert result.exit_code in (EXIT_FAILED, 2), result
    else:
        assert result.exit_code == (EXIT_HELD_BACK if held else EXIT_OK), result


def feed_html(data: bytes) -> list[str]:
    """The HTML a feed reader renders from an RSS or Atom feed: RSS descriptions, Atom `type="html"` text."""
    root = ElementTree.fromstring(data)
    found = [e.text or "" for e in root.iter("description")]
    found += [e.text or "" for e in root.iter() if e.get("type") == "html"]
    return found


def check_site(out: Path, result: BuildResult) -> None:
    if result.failure:
        assert not out.exists() or not any(out.iterdir()), "a failed build wrote its output"
        return
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        assert not path.is_symlink(), f"{name} is a symbolic link"
        if path.is_dir():
            continue
        data = path.read_bytes()
        assert SECRET_TEXT.encode() not in data, f"{name} holds a file read through a link out of the journal"
        if name.endswith(".html"):
            problems = script_problems(data.decode("utf-8"))
            assert not problems, f"{name}: {problems}"
        elif name.endswith(".atom") or (name.endswith(".xml") and b"<rss" in data[:400]):
            for fragment in feed_html(data):
                problems = script_problems(fragment)
                assert not problems, f"{name} (feed HTML): {problems}"
        elif name.endswith(".svg"):
            assert not re.search(rb"<script|\son\w+\s*=|javascript:|foreignobject", data, re.IGNORECASE), name
    for slug in result.published:
        assert (out / "papers" / slug / "index.html").is_file(), slug
    for slug in result.held_back:
        assert not (out / "papers" / slug).exists(), f"held-back {slug} was published"


def build_twice(files: dict[str, Entry]) -> None:
    note(describe(files))
    with tempfile.TemporaryDirectory(prefix="mirror-fuzz-") as folder:
        root = Path(folder)
        write_tree(root, files)
        journal = root / "journal"
        outs = (root / "out1", root / "out2")
        before = files_outside(root, outs)
        results = [build(BuildOptions(root=journal, out=out, jobs=1)) for out in outs]
        assert files_outside(root, outs) == before, "the build changed files outside its output directory"
        note("\n".join(d.format() for d in results[0].diagnostics) + f"\nfailure: {results[0].failure}")
        assert results[0] == results[1], "two builds of the same journal differ"
        check_result(results[0], journal)
        check_site(outs[0], results[0])
        if outs[0].exists():
            trees = [{p.relative_to(o).as_posix(): p.read_bytes() for p in sorted(o.rglob("*")) if p.is_file()} for o in outs]
            assert trees[0] == trees[1], "two builds of the same journal are not byte-identical"


# --- the campaigns ----------------------------------------------------------------------------------


@given(journals())
@fuzz(25)
def test_fuzzed_journals_build_safely(files: dict[str, Entry]) -> None:
    """Rows 1–48 at random: hostile journals build with every property above."""
    build_twice(files)


def one_paper(front: str, body: str, bib: str | None = None) -> dict[str, Entry]:
    files: dict[str, Entry] = {"papers/fuzzed/paper.md": "---\n" + front + "---\n" + body + "\n"}
    if bib is not None:
        files["papers/fuzzed/references.bib"] = bib
    return files


@given(markdown_body)
@fuzz(40)
def test_fuzzed_markdown_renders_safely(body: str) -> None:
    """Rows 24, 25, 29–33 at random: Markdown under a valid front matter (so it is always rendered)."""
    front = 'title: "Fuzzed Markdown"\nauthors: [{name: F, kind: ai, model: m}]\ndate: 2026-01-15\nabstract: "x"\n'
    build_twice(one_paper(front, body))


@given(front_matter())
@fuzz(40)
def test_fuzzed_front_matter_is_checked_safely(front: str) -> None:
    """Rows 9–23, 26–28 at random: front matter mutated with random YAML values and raw YAML tricks."""
    build_twice(one_paper(front, "# Intro\n\nText [@nanda2023].\n"))


@given(bibtex, st.lists(st.sampled_from(["nanda2023", "elhage2021", "Missing_Key", "dup", "a:b"]), max_size=3))
@fuzz(40)
def test_fuzzed_bibtex_is_read_safely(bib: str, keys: list[str]) -> None:
    """BibTeX at random, cited from the body: every problem is a diagnostic, nothing leaks into markup."""
    body = "# Intro\n\n" + " ".join(f"[@{k}]" for k in keys) + "\n"
    front = 'title: "Fuzzed BibTeX"\nauthors: [{name: F, kind: ai, model: m}]\ndate: 2026-01-15\nabstract: "x"\n'
    build_twice(one_paper(front, body, bib))


@given(bibtex)
@fuzz(60)
def test_bibliography_parser_never_raises(bib: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "references.bib").write_text(bib, encoding="utf-8")
        references, problems = load_bibliography(Path(folder), "references.bib", 2_000_000)
        for problem in problems:
            assert not INTERNAL.search(problem.message), problem.format()
        for reference in references.values():
            assert all(not u or u.startswith(("http://", "https://")) for u in (reference.url,)), reference


def test_fuzz_settings_are_short_and_derandomized_in_ci() -> None:
    """CI stays fast and reproducible: a campaign only runs when asked for."""
    if CAMPAIGN:
        pytest.skip("a local campaign is running")
    chosen = fuzz(25)
    assert chosen.derandomize and chosen.max_examples <= 60 and chosen.deadline is None

