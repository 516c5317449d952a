"""Bad-input cases of RELIABILITY.md whose input is large, generated, or needs more than a fixture folder
can say (rows 12, 13, 15, 21, 27–31, 33, 42). Each test writes its journal in `tmp_path` and builds it for real.

Inputs that could hang or exhaust memory are built in a forked child with an address-space limit and a
generous timeout (`bounded_run`): the tests guard against hangs, they never assert speed.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import struct
import sys
import traceback
import zlib
from html.parser import HTMLParser
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree

import pytest
import yaml
from conftest import GOOD_FRONT, PNG_3x2, paper_text, run, tree, write_journal
from markdown_it import MarkdownIt

from mirror_site import front_matter
from mirror_site.build import EXIT_HELD_BACK, EXIT_OK
from mirror_site.config import Limits

PACKAGE = Path(__file__).resolve().parent.parent / "mirror_site"
TIMEOUT = 120.0  #: seconds: far above any sane build of one paper; only a hang reaches it
MEMORY = 2 << 30  #: bytes of address space the build may add on top of the test process


class Outcome(NamedTuple):
    """What a build in the child process gave (picklable)."""

    exit_code: int
    diagnostics: tuple[str, ...]  #: `Diagnostic.format()` of each
    published: tuple[str, ...]
    held_back: tuple[str, ...]
    failure: str

    def errors(self) -> list[str]:
        return sorted(prefix(d) for d in self.diagnostics if "error[" in prefix(d))

    def warnings(self) -> list[str]:
        return sorted(prefix(d) for d in self.diagnostics if "warning[" in prefix(d))

    def report(self) -> str:
        return "\n".join(self.diagnostics) + (f"\nfailure: {self.failure}" if self.failure else "")


def prefix(diagnostic: str) -> str:
    """`path:line:col: level[code]`, as in test_invalid_cases."""
    return diagnostic.split("]:", 1)[0] + "]"


def _child(root: Path, memory: int, pipe: Connection) -> None:
    try:
        if sys.platform.startswith("linux"):
            import resource

            status = Path("/proc/self/status").read_text()
            current = int(re.search(r"VmSize:\s+(\d+) kB", status)[1]) * 1024  # type: ignore[index]
            resource.setrlimit(resource.RLIMIT_AS, (current + memory, current + memory))
        result = run(root, jobs=1)
        pipe.send(Outcome(result.exit_code, tuple(d.format() for d in result.diagnostics), result.published,
                          result.held_back, result.failure))
    except BaseException:  # noqa: B036 - report anything, MemoryError included, to the parent
        pipe.send(traceback.format_exc())
    finally:
        pipe.close()


def bounded_run(root: Path, seconds: float = TIMEOUT, memory: int = MEMORY) -> Outcome:
    """`run(root, jobs=1)` in a forked child with an address-space limit; fail on a hang or a crash."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(root, memory, writer))
    child.start()
    writer.close()
    try:
        if not reader.poll(seconds):
            child.kill()
            pytest.fail(f"the build did not finish within {seconds} s")
        try:
            answer = reader.recv()
        except EOFError:
            pytest.fail(f"the build process died (exit code {child.exitcode}): out of memory or a crash")
    finally:
        child.join()
        reader.close()
    if isinstance(answer, str):
        pytest.fail("the build raised instead of reporting:\n" + answer)
    assert isinstance(answer, Outcome)
    return answer


def journal_with(root: Path, files: dict[str, str | bytes]) -> Path:
    """The given files plus a valid companion paper, which must publish whatever the others do."""
    return write_journal(root, {"papers/companion/paper.md": paper_text(), **files})


def front(title: str = '"A generated case"', extra: str = "") -> str:
    """GOOD_FRONT with another title line (line 2) and lines appended after the abstract (line 9 on)."""
    return GOOD_FRONT.replace('title: "A good paper"', f"title: {title}") + extra


def body_at12(line: str) -> str:
    """A body whose first line of interest is line 12 of paper.md (10 heading, 11 blank)."""
    return f"# Introduction\n\n{line}\n\nSome text.\n"


def assert_held(outcome: Outcome, slug: str) -> None:
    assert outcome.exit_code == EXIT_HELD_BACK, outcome.report()
    assert slug in outcome.held_back, outcome.report()
    assert "companion" in outcome.published, outcome.report()


def assert_published(outcome: Outcome, slug: str) -> None:
    assert outcome.exit_code == EXIT_OK, outcome.report()
    assert slug in outcome.published, outcome.report()
    assert "companion" in outcome.published, outcome.report()
    assert outcome.errors() == [], outcome.report()


class Page(HTMLParser):
    """The parts of an HTML page these tests look at: ids, scripts, h1 and title texts, tags seen."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.scripts: list[tuple[str, str]] = []  #: (type attribute, content)
        self.tags: list[str] = []
        self.texts: dict[str, str] = {"h1": "", "title": ""}
        self._open: list[str] = []
        self._script_type: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if values.get("id") is not None:
            self.ids.append(str(values["id"]))
        if tag == "script":
            self._script_type = values.get("type") or ""
            self.scripts.append((self._script_type, ""))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_type = None
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]

    def handle_data(self, data: str) -> None:
        if self._script_type is not None and self.scripts:
            kind, content = self.scripts[-1]
            self.scripts[-1] = (kind, content + data)
        for tag in ("h1", "title"):
            if tag in self._open:
                self.texts[tag] += data


# Row 12 ------------------------------------------------------------------------------------------

PYTHON_TAGS = (
    '!!python/object/apply:os.system ["touch {marker}"]',
    '!!python/object/new:os.system ["touch {marker}"]',
    '!!python/object/apply:subprocess.check_call [["touch", "{marker}"]]',
    "!!python/name:os.system",
    '!!python/object:argparse.Namespace {{"x": 1}}',
)


def test_row_12_python_tags_execute_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    root = tmp_path / "journal"
    files = {f"papers/tag-{i}/paper.md": paper_text(front(tag.format(marker=marker)))
             for i, tag in enumerate(PYTHON_TAGS)}
    result = run(journal_with(root, files), jobs=1)
    found = sorted(prefix(d.format()) for d in result.diagnostics)
    assert found == [f"papers/tag-{i}/paper.md:2:8: error[yaml-tag]" for i in range(len(PYTHON_TAGS))]
    assert result.exit_code == EXIT_HELD_BACK
    assert "companion" in result.published
    assert not marker.exists(), "a YAML tag ran a command"


def test_row_12_front_matter_loader_is_safe_only() -> None:
    """The loader composes nodes only; the one constructor in use is PyYAML's SafeConstructor, and no
    module of the package calls an unsafe PyYAML entry point."""
    unsafe = (yaml.constructor.FullConstructor, yaml.constructor.UnsafeConstructor, yaml.constructor.Constructor)
    assert not issubclass(front_matter._Loader, unsafe)
    assert not issubclass(front_matter._Loader, yaml.constructor.BaseConstructor)
    assert type(front_matter._SCALARS) is yaml.constructor.SafeConstructor
    forbidden = re.compile(r"yaml\.(?:load|load_all|full_load\w*|unsafe_load\w*)\(|\b(?:Full|Unsafe)Loader\b"
                           r"|yaml\.Loader\b|\b(?:Full|Unsafe)Constructor\b|yaml\.constructor\.Constructor\b")
    for module in sorted(PACKAGE.glob("*.py")):
        match = forbidden.search(module.read_text(encoding="utf-8"))
        assert match is None, f"{module.name} uses {match[0] if match else ''}"


# Row 13 ------------------------------------------------------------------------------------------


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """Billion laughs under `extra:`: each level lists the previous one `width` times."""
    lines = ["extra:", "  l0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_row_13_alias_bomb_refused_with_bounded_memory(tmp_path: Path) -> None:
    root = journal_with(tmp_path / "journal", {"papers/bomb/paper.md": paper_text(front(extra=alias_bomb()))})
    outcome = bounded_run(root)
    assert_held(outcome, "bomb")
    assert outcome.errors() == ["papers/bomb/paper.md:10:7: error[yaml-alias]"], outcome.report()


# Row 15 ------------------------------------------------------------------------------------------


def _forbid_big_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the build if a front matter over the cap ever reaches the YAML parser."""
    cap = Limits().max_front_matter_bytes
    original = front_matter._Loader

    class Guarded(original):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            if len(stream.encode("utf-8")) > cap:
                raise AssertionError(f"a front matter of {len(stream)} characters reached the YAML parser")
            super().__init__(stream)

    monkeypatch.setattr(front_matter, "_Loader", Guarded)


@pytest.mark.parametrize("shape", ["10MB-of-keys", "50MB-scalar"])
def test_row_15_huge_front_matter_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         shape: str) -> None:
    _forbid_big_parses(monkeypatch)
    if shape == "10MB-of-keys":
        extra = "extra:\n" + "".join(f"  key{i:07d}: value number {i:07d} of many\n" for i in range(250_000))
    else:
        extra = 'extra:\n  blob: "' + "a" * 50_000_000 + '"\n'
    text = "---\n" + front(extra=extra) + "---\n" + body_at12("Text.")
    assert len(text) > 10_000_000
    root = journal_with(tmp_path / "journal", {"papers/big/paper.md": text})
    outcome = bounded_run(root)
    assert_held(outcome, "big")
    errors = outcome.errors()
    assert len(errors) == 1, outcome.report()
    assert re.fullmatch(r"papers/big/paper\.md:[12]:1: error\[(paper|front-matter)-too-large\]", errors[0]), errors


def test_row_15_front_matter_over_its_own_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the paper's size cap but over the front matter's: refused at the front matter's first line."""
    _forbid_big_parses(monkeypatch)
    extra = 'extra:\n  blob: "' + "a" * 100_000 + '"\n'
    root = journal_with(tmp_path / "journal", {"papers/big/paper.md": paper_text(front(extra=extra))})
    outcome = bounded_run(root)
    assert_held(outcome, "big")
    assert outcome.errors() == ["papers/big/paper.md:2:1: error[front-matter-too-large]"], outcome.report()


# Row 21 ------------------------------------------------------------------------------------------


def test_row_21_title_of_10000_characters(tmp_path: Path) -> None:
    root = journal_with(tmp_path / "journal",
                        {"papers/long-title/paper.md": paper_text(front('"' + "Long " * 2_000 + '"'))})
    result = run(root, jobs=1)
    found = sorted(prefix(d.format()) for d in result.diagnostics)
    assert found == ["papers/long-title/paper.md:2:8: error[text-too-long]"]
    assert result.exit_code == EXIT_HELD_BACK
    assert "companion" in result.published and "long-title" in result.held_back


# Row 23 ------------------------------------------------------------------------------------------


def test_row_23_nfd_title_is_nfc_in_every_output(tmp_path: Path) -> None:
    """Byte checks cannot look inside the JSON exports (they carry the NFD source verbatim, rightly):
    here every title field is read and compared."""
    nfc, nfd = "Caf\u00e9 circuits", "Cafe\u0301 circuits"
    root = journal_with(tmp_path / "journal", {"papers/nfd-title/paper.md": paper_text(front(f'"{nfd}"'))})
    result = run(root, jobs=1)
    assert result.exit_code == EXIT_OK and "nfd-title" in result.published
    site = root / "site"
    assert Page((site / "papers/nfd-title/index.html").read_text(encoding="utf-8")).texts["h1"].strip() == nfc
    index = json.loads((site / "corpus/index.json").read_text(encoding="utf-8"))
    assert [p["title"] for p in index["papers"] if p["slug"] == "nfd-title"] == [nfc]
    for name in ("corpus/papers.jsonl",):
        if (site / name).is_file():
            records = [json.loads(line) for line in (site / name).read_text(encoding="utf-8").splitlines()]
            assert [r["title"] for r in records if r["slug"] == "nfd-title"] == [nfc], name


# Rows 27, 28 -------------------------------------------------------------------------------------

SCRIPT_TITLE = '</script><script>alert("x")</script>'
SPECIAL_TITLE = "Fish & chips <b>bold</b> \"quoted\" 'single'"


def build_titled(tmp_path: Path, title: str) -> tuple[dict[str, bytes], str]:
    """Build a journal whose paper `titled` has `title`; return the site's files and the paper page."""
    quoted = "'" + title.replace("'", "''") + "'"
    root = journal_with(tmp_path / "journal", {"papers/titled/paper.md": paper_text(front(quoted))})
    result = run(root, jobs=1)
    assert result.exit_code == EXIT_OK, "\n".join(d.format() for d in result.diagnostics) + result.failure
    files = tree(root / "site")
    return files, files["papers/titled/index.html"].decode("utf-8")


def test_row_27_title_round_trips_in_html(tmp_path: Path) -> None:
    files, page = build_titled(tmp_path, SCRIPT_TITLE)
    parsed = Page(page)
    assert parsed.texts["h1"].strip() == SCRIPT_TITLE
    assert parsed.texts["title"].startswith(SCRIPT_TITLE)
    assert all(kind == "application/ld+json" for kind, _ in parsed.scripts), parsed.scripts


def test_row_27_json_ld_is_one_script(tmp_path: Path) -> None:
    """OUTPUTS.md: each paper page carries schema.org JSON-LD; with `</script>` in the title, the page
    still holds exactly one script element, whose JSON gives the title back."""
    files, page = build_titled(tmp_path, SCRIPT_TITLE)
    scripts = Page(page).scripts
    assert len(scripts) == 1, f"expected one JSON-LD script, found {len(scripts)}: {scripts}"
    kind, content = scripts[0]
    assert kind == "application/ld+json"
    data = json.loads(content)
    assert SCRIPT_TITLE in (data.get("headline"), data.get("name")), data


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_row_28_special_characters_round_trip_in_every_format(tmp_path: Path) -> None:
    files, page = build_titled(tmp_path, SPECIAL_TITLE)
    parsed = Page(page)
    assert parsed.texts["h1"].strip() == SPECIAL_TITLE
    assert parsed.texts["title"].startswith(SPECIAL_TITLE)
    for name, data in files.items():
        if b"Fish" not in data or name.endswith("/paper.md"):
            continue
        if name.endswith(".html"):
            html = Page(data.decode("utf-8"))
            assert "b" not in html.tags, f"{name}: the title's <b> became an element"
            for kind, content in html.scripts:
                if kind == "application/ld+json":
                    assert SPECIAL_TITLE in _strings(json.loads(content)), f"{name}: JSON-LD title"
        elif name.endswith(".json"):
            assert SPECIAL_TITLE in _strings(json.loads(data)), f"{name}: title not found intact"
        elif name.endswith((".xml", ".atom", ".rss")):
            element = ElementTree.fromstring(data)  # well-formed, or this raises
            texts = [t for e in element.iter() for t in [e.text or "", *e.attrib.values()]]
            assert any(SPECIAL_TITLE in t for t in texts), f"{name}: title not found intact"
    assert "corpus/index.json" in files and b"Fish" in files["corpus/index.json"]
    assert b"Fish" in files["index.html"]


# Row 29 ------------------------------------------------------------------------------------------


def test_row_29_heading_ids_are_unique_and_never_site_ids(tmp_path: Path) -> None:
    body = ("# search\n\nText.\n\n# __proto__\n\nText.\n\n# Main\n\nText.\n\n# Contents {#toc-heading}\n\nText.\n\n"
            "# Summary {#abstract-heading}\n\nText.\n\n# Body {#main}\n\nText.\n\n# Find {#search}\n\nText.\n")
    root = journal_with(tmp_path / "journal", {"papers/ids/paper.md": paper_text(body=body)})
    result = run(root, jobs=1)
    assert result.exit_code == EXIT_OK and "ids" in result.published
    ids = Page((root / "site/papers/ids/index.html").read_text(encoding="utf-8")).ids
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == [], f"duplicate ids: {duplicates}"
    assert not {"search", "__proto__"} & set(ids), ids


# Row 30 ------------------------------------------------------------------------------------------

PATHOLOGICAL = {
    "50k-open-brackets": "[" * 50_000,
    "100k-star-a": "*a" * 100_000,
    "2k-nested-lists": "- " * 2_000 + "x",
    "2k-nested-quotes": "> " * 2_000 + "x",
    "25k-nested-links": "[" * 25_000 + "x" + "](y)" * 25_000,
    "500-indented-lists": "".join("  " * i + "- x\n" for i in range(500)),
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_row_30_pathological_markdown_is_accepted(tmp_path: Path, name: str) -> None:
    text = "---\n" + front() + "---\n# Introduction\n\n" + PATHOLOGICAL[name] + "\n"
    root = journal_with(tmp_path / "journal", {"papers/patho/paper.md": text})
    outcome = bounded_run(root)
    assert_published(outcome, "patho")
    assert (root / "site/papers/patho/index.html").is_file()


# Row 31 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exception", [ValueError, IndexError, RecursionError, KeyError])
def test_row_31_renderer_exception_holds_the_paper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   exception: type[Exception]) -> None:
    """Markdown that makes the parser raise (simulated: markdown-it raises on a trigger word, as in
    CVE-2023-26303) holds that paper back, named with file:line:col; the build goes on."""
    original = MarkdownIt.parse

    def parse(self: MarkdownIt, src: str, env: Any = None) -> Any:
        if "BOOM-31" in src:
            raise exception("the Markdown parser broke")
        return original(self, src, env)

    monkeypatch.setattr(MarkdownIt, "parse", parse)
    root = journal_with(tmp_path / "journal",
                        {"papers/crasher/paper.md": paper_text(body=body_at12("BOOM-31 breaks the parser."))})
    result = run(root, jobs=1)
    errors = [d for d in result.diagnostics if d.level == "error"]
    assert [(d.path, d.code) for d in errors] == [("papers/crasher/paper.md", "render-failed")], errors
    assert errors[0].line >= 1 and errors[0].col >= 1
    assert result.exit_code == EXIT_HELD_BACK
    assert "crasher" in result.held_back and "companion" in result.published
    assert not (root / "site/papers/crasher").exists()


# Row 33 ------------------------------------------------------------------------------------------


def test_row_33_200k_line_code_block(tmp_path: Path) -> None:
    """Accepted with highlighting skipped above the cap (or held at a size cap): never minutes in Pygments."""
    code = "```python\n" + "x = 1\n" * 200_000 + "```"
    root = journal_with(tmp_path / "journal", {"papers/long-code/paper.md": paper_text(body=body_at12(code))})
    outcome = bounded_run(root)
    if "long-code" in outcome.published:
        assert_published(outcome, "long-code")
        assert "papers/long-code/paper.md:12:1: warning[code-too-long]" in outcome.warnings(), outcome.report()
        page = (root / "site/papers/long-code/index.html").read_text(encoding="utf-8")
        assert 'class="highlight"' not in page
    else:
        assert_held(outcome, "long-code")
        assert len(outcome.errors()) == 1 and "too-large]" in outcome.errors()[0], outcome.report()


# Row 42 ------------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A small PNG whose header claims `width`×`height` pixels; its IDAT inflates to 10 MB of zeros."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + _chunk(b"IDAT", zlib.compress(b"\0" * 10_000_000, 9)) + _chunk(b"IEND", b"")


BOMBS = {
    "png-100000x100000": ("figures/bomb.png", png_bomb()),
    "gif-65535x65535": ("figures/bomb.gif", b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\0" * 16),
    "webp-16384x16384": ("figures/bomb.webp", b"RIFF" + struct.pack("<I", 22) + b"WEBPVP8X" + struct.pack("<I", 10)
                         + b"\0" * 4 + (16383).to_bytes(3, "little") * 2),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_row_42_decompression_bomb_held_at_pixel_cap(tmp_path: Path, name: str) -> None:
    relpath, data = BOMBS[name]
    root = journal_with(tmp_path / "journal", {"papers/bomb/paper.md": paper_text(body=body_at12(f"![Bomb]({relpath})")),
                                               f"papers/bomb/{relpath}": data})
    outcome = bounded_run(root)
    assert_held(outcome, "bomb")
    assert outcome.errors() == ["papers/bomb/paper.md:12:9: error[figure-too-large]"], outcome.report()
    assert not (root / "site/papers/bomb").exists()


def test_row_42_500mb_figure_held_at_size_cap(tmp_path: Path) -> None:
    root = journal_with(tmp_path / "journal", {"papers/huge/paper.md": paper_text(body=body_at12("![Huge](figures/huge.png)"))})
    huge = root / "papers/huge/figures/huge.png"
    huge.parent.mkdir(parents=True)
    with huge.open("wb") as file:  # sparse: 500 MB long, a few bytes on disk
        file.write(PNG_3x2)
        file.truncate(500_000_000)
    outcome = bounded_run(root, memory=256 << 20)  # reading it whole would not fit
    assert_held(outcome, "huge")
    assert outcome.errors() == ["papers/huge/paper.md:12:9: error[figure-too-large]"], outcome.report()
    assert not (root / "site/papers/huge").exists()


# Row 24 in feeds (X6) ---------------------------------------------------------------------------


def test_row_24_abstract_markup_stays_text_in_rss_descriptions(tmp_path: Path) -> None:
    """X6. An RSS item's description is entity-encoded HTML to feed readers (RSS Best Practices Profile):
    they decode the XML once and render the result as HTML. An abstract's `<script>` was escaped for
    XML only, so readers got a live script element; it must reach them as text."""
    abstract = "Sinks <script>window.__pwned=1</script> & <img src=x onerror=alert(1)> <maybe>."
    root = journal_with(tmp_path / "journal", {"papers/titled/paper.md": paper_text(
        GOOD_FRONT.replace('abstract: "We probe something and find it."', f"abstract: '{abstract}'"))})
    result = run(root, jobs=1)
    assert "titled" in result.published, result
    feed = ElementTree.fromstring((root / "site/feed.xml").read_bytes())
    descriptions = [item.findtext("description") or "" for item in feed.iter("item")
                    if "titled" in (item.findtext("link") or "")]
    assert len(descriptions) == 1
    html = descriptions[0]  # what a feed reader renders
    parsed = Page(html)
    assert parsed.tags == [] and parsed.scripts == [], html
    assert "Sinks" in html and "&lt;script&gt;" in html and "&amp;" in html


# Found by fuzzing (X7) --------------------------------------------------------------------------


def test_x7_footnote_that_refers_to_a_footnote_renders(tmp_path: Path) -> None:
    """A footnote whose own text refers to a footnote made the renderer raise KeyError('sidenotes'), so the
    paper was held back with render-failed (row 31's safety net). It renders: each reference once, with
    its sidenote, and ids stay unique."""
    body = "# Intro\n\nText[^1] and more[^2].\n\n[^1]: See also [^2] and [^1].\n\n[^2]: The second note.\n"
    root = journal_with(tmp_path / "journal", {"papers/notes/paper.md": paper_text(body=body)})
    result = run(root, jobs=1)
    assert result.exit_code == EXIT_OK and "notes" in result.published, [d.format() for d in result.diagnostics]
    page = Page((root / "site/papers/notes/index.html").read_text(encoding="utf-8"))
    duplicates = sorted({i for i in page.ids if page.ids.count(i) > 1})
    assert duplicates == [] and {"fn1", "fn2", "fnref1", "fnref2"} <= set(page.ids), page.ids
