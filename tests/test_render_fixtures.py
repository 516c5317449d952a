"""Markdown in, HTML out: fixture files of cases, one file per syntax (tests/fixtures/render/*.txt).

A case is four parts separated by lines holding a single `.`:
    ## name
    .
    markdown body
    .
    expected HTML of the body
    .
    expected diagnostics, one `level[code] line` per line (file lines; the body starts on line 10)
    .
Every case renders inside tests/fixtures/render/paper/ (its references.bib and figures/).
Regenerate the expected parts on purpose with `pytest --regen-golden`, then read the diff.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import paper_text, write_journal

from mirror_site.config import Config
from mirror_site.load import load_paper
from mirror_site.model import SourcePaper
from mirror_site.render import RenderOptions, render_body
from mirror_site.validate import validate_paper

FOLDER = Path(__file__).parent / "fixtures" / "render"
CASE = re.compile(r"^## ([^\n]+)\n\.\n(.*?)\n\.\n(.*?)\n\.\n(.*?)\.\n", re.DOTALL | re.MULTILINE)


def cases() -> list[tuple[Path, str, str, str, str]]:
    found = []
    for file in sorted(FOLDER.glob("*.txt")):
        for match in CASE.finditer(file.read_text(encoding="utf-8")):
            found.append((file, match[1].strip(), match[2], match[3], match[4]))
    return found


def rendered(tmp_path: Path, markdown: str) -> tuple[str, str]:
    root = tmp_path / "journal"
    shutil.copytree(FOLDER / "paper", root / "papers" / "p")
    write_journal(root, {"papers/p/paper.md": paper_text(body=markdown + "\n")})
    source = load_paper(root / "papers/p", root, Config())
    assert isinstance(source, SourcePaper)
    paper, problems = validate_paper(source, Config())
    assert paper is not None, problems
    body = render_body(paper, RenderOptions())
    refs = "".join(f'\n<li id="{ident}">{html}</li>' for ident, html in body.references)
    diagnostics = "".join(f"{d.level}[{d.code}] {d.line}\n" for d in body.diagnostics)
    return body.html.rstrip("\n") + refs, diagnostics


ALL = cases()


@pytest.mark.parametrize("case", ALL, ids=[f"{c[0].stem}:{c[1]}" for c in ALL])
def test_fixture(case: tuple[Path, str, str, str, str], tmp_path: Path, request: pytest.FixtureRequest) -> None:
    file, name, markdown, expected_html, expected_diagnostics = case
    html, diagnostics = rendered(tmp_path, markdown)
    if request.config.getoption("--regen-golden"):
        text = file.read_text(encoding="utf-8")
        old = f"## {name}\n.\n{markdown}\n.\n{expected_html}\n.\n{expected_diagnostics}.\n"
        new = f"## {name}\n.\n{markdown}\n.\n{html}\n.\n{diagnostics}.\n"
        file.write_text(text.replace(old, new, 1), encoding="utf-8")
        return
    assert html == expected_html
    assert diagnostics == expected_diagnostics
