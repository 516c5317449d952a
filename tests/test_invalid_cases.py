"""One fixture folder per bad-input case (RELIABILITY.md rows 1–47), each with its expected diagnostics.

A case folder holds `papers/…` and `case.json`:
  row       the RELIABILITY.md row it covers
  outcome   "held" (every paper of the case is held back) or "accepted" (published, maybe with warnings)
  errors    the exact set of error diagnostics, as `path:line:col: error[code]`
  warnings  warnings that must appear (others may too)
  absent    strings that must appear in no output file (e.g. "<script", a secret); a string that the paper's
            own source contains (decoded as UTF-8, LF line endings) may still appear in data outputs that
            carry the source or its plain text (the Markdown twin `paper.md`, JSON, text), never in markup
            (HTML, XML feeds and sitemaps, SVG)
  messages  substrings that must appear in the printed diagnostics (messages and hints), e.g. "did you mean"
  files     output files that must exist (site-relative paths), e.g. published figures
  note      free text for the reader
A valid companion paper is added to every case: the rest of the journal must still publish.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import paper_text, run, tree, write_journal

from mirror_site.build import EXIT_HELD_BACK, EXIT_OK

CASES = Path(__file__).parent / "fixtures" / "invalid"
CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "case.json").is_file())


MARKUP = (".html", ".htm", ".xhtml", ".xml", ".atom", ".rss", ".svg")  #: outputs a browser or reader interprets


def decoded_sources(papers: Path) -> list[str]:
    """The text of every regular `paper.md` of the case, as the Markdown twin publishes it (UTF-8, BOM
    removed, LF line endings). A symlinked paper.md is never read, so its target's text is never excused."""
    sources = []
    for file in papers.glob("*/paper.md"):
        if file.is_file() and not file.is_symlink() and not file.parent.is_symlink():
            try:
                text = file.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError:
                continue
            sources.append(text.replace("\r\n", "\n").replace("\r", "\n"))
    return sources


def prefix(diagnostic_line: str) -> str:
    """`path:line:col: level[code]` — the part of a diagnostic a case pins down."""
    return diagnostic_line.split("]:", 1)[0] + "]"


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case(case: Path, tmp_path: Path) -> None:
    spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
    root = tmp_path / "journal"
    shutil.copytree(case / "papers", root / "papers", symlinks=True)
    write_journal(root, {"papers/companion/paper.md": paper_text()})
    slugs = sorted(p.name for p in (case / "papers").iterdir())

    result = run(root, jobs=1)

    found = [prefix(d.format()) for d in result.diagnostics]
    errors = sorted(p for p in found if "error[" in p)
    assert errors == sorted(spec.get("errors", [])), "\n".join(d.format() for d in result.diagnostics)
    printed = "\n".join(d.format() for d in result.diagnostics)
    for text in spec.get("messages", []):
        assert text in printed, f"{text!r} is not in the diagnostics:\n{printed}"
    for expected in spec.get("warnings", []):
        assert expected in found, "\n".join(d.format() for d in result.diagnostics)
    assert "companion" in result.published
    site = root / "site"
    if spec["outcome"] == "held":
        assert result.exit_code == EXIT_HELD_BACK
        for slug in slugs:
            assert slug in result.held_back
            assert not (site / "papers" / slug).exists()
    else:
        assert result.exit_code == EXIT_OK, result.failure
        for slug in slugs:
            assert slug in result.published
    outputs = tree(site)
    for name in spec.get("files", []):
        assert name in outputs, f"{name} was not published"
    sources = decoded_sources(case / "papers")
    for text in spec.get("absent", []):
        carried = any(text in source for source in sources)
        for name, data in outputs.items():
            if carried and not name.endswith(MARKUP):
                continue  # the Markdown twin, JSON and text exports carry the source and its plain text as data
            assert text.encode() not in data, f"{text!r} found in {name}"
