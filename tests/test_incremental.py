"""Incremental builds are clean builds (issue 7): after any sequence of edits — a paper edited, added,
withdrawn, a draft deleted, a paper renamed with an alias, a template or the configuration changed —
a build that reuses the cache, the manifest and the recycled spare site writes exactly the bytes a
build from scratch writes. Derandomised and short for CI; MIRROR_INCREMENTAL_EXAMPLES=200 for a long run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import PNG_3x2, paper_text, png, run, tree, write_journal
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from mirror_site.preview import Preview

EXAMPLES = int(os.environ.get("MIRROR_INCREMENTAL_EXAMPLES", "4") or 4)
OPERATIONS = ("edit", "edit-abstract", "add", "withdraw", "add-draft", "delete-draft", "rename", "template", "config",
              "figure", "bibliography", "nothing")

BIB = "@article{smith2020,\n  title = {A Study},\n  author = {Smith, Ann},\n  journal = {J},\n  year = {2020}\n}\n"


def front(title: str, date: str, extra: str = "") -> str:
    return (f'title: "{title}"\nauthors:\n  - name: "Probe Agent"\n    kind: ai\n    model: "m-1"\n'
            f'date: {date}\nabstract: "About {title}."\nkeywords: [circuits, probing]\n{extra}')


def start(root: Path) -> None:
    write_journal(root, {
        "mirror.toml": 'title = "Incremental"\nbase_url = "https://inc.example.org/"\n',
        "papers/alpha/paper.md": paper_text(front("Alpha", "2026-01-10"),
                                            "# One\n\nText $x^2$ [@smith2020].\n\n![A plot.](fig.png)\n"),
        "papers/alpha/references.bib": BIB, "papers/alpha/fig.png": PNG_3x2,
        "papers/beta/paper.md": paper_text(front("Beta", "2026-01-12"), "# Two\n\nAs [@mirror:alpha] shows.\n"),
        "papers/gamma/paper.md": paper_text(front("Gamma", "2026-02-01", "relations:\n  extends: [beta]\n"),
                                            "# Three\n\n```python\nprint(1)\n```\n"),
    })


def published(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "papers").iterdir() if "draft: true" not in (p / "paper.md").read_text())


def apply(root: Path, operation: str, step: int, data: st.DataObject) -> None:
    papers = published(root)
    pick = data.draw(st.sampled_from(papers), label="paper") if papers else ""
    paper = root / "papers" / pick / "paper.md"
    if operation == "edit" and pick:
        paper.write_text(paper.read_text() + f"\nEdited in step {step}.\n")
    elif operation == "edit-abstract" and pick:
        paper.write_text(paper.read_text().replace('abstract: "About', f'abstract: "Step {step}, about', 1))
    elif operation == "add":  # citing a paper changes what the cited paper's pages and records say
        cites = f" As [@mirror:{pick}] shows." if pick else ""
        body = f"# New\n\nBody.{cites}\n"
        write_journal(root, {f"papers/new-{step}/paper.md": paper_text(front(f"New {step}", "2026-03-01"), body)})
    elif operation == "withdraw" and pick and "status:" not in paper.read_text():
        paper.write_text(paper.read_text().replace(
            "keywords:", 'status: withdrawn\nretraction:\n  date: 2026-04-01\n  reason: "Wrong."\nkeywords:', 1))
    elif operation == "add-draft":
        write_journal(root, {f"papers/draft-{step}/paper.md": paper_text(front(f"Draft {step}", "2026-03-02", "draft: true\n"))})
    elif operation == "delete-draft":
        for folder in sorted((root / "papers").glob("draft-*"))[:1]:
            shutil.rmtree(folder)
    elif operation == "rename" and pick and "aliases:" not in paper.read_text():
        target = root / "papers" / f"{pick}-r{step}"
        (root / "papers" / pick).rename(target)
        text = (target / "paper.md").read_text().replace("keywords:", f"aliases: [{pick}]\nkeywords:", 1)
        (target / "paper.md").write_text(text.replace(f"mirror:{pick}]", f"mirror:{pick}-r{step}]"))
        for other in (root / "papers").glob("*/paper.md"):  # links to the old slug follow the paper
            other.write_text(other.read_text().replace(f"[@mirror:{pick}]", f"[@mirror:{pick}-r{step}]")
                             .replace(f"extends: [{pick}]", f"extends: [{pick}-r{step}]"))
    elif operation == "template":
        write_journal(root, {"templates/404.html": f'{{% extends "base.html" %}}{{% block main %}}Gone {step}.{{% endblock %}}\n'})
    elif operation == "config":
        write_journal(root, {"mirror.toml": f'title = "Incremental {step}"\nbase_url = "https://inc.example.org/"\n'})
    elif operation == "figure" and (root / "papers/alpha/fig.png").exists():
        (root / "papers/alpha/fig.png").write_bytes(png(3 + step, 2))  # new bytes and a new size
    elif operation == "bibliography" and (root / "papers/alpha/references.bib").exists():
        (root / "papers/alpha/references.bib").write_text(BIB.replace("A Study", f"A Study, step {step}"))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=5), data=st.data())
def test_an_incremental_build_equals_a_clean_build(tmp_path_factory: pytest.TempPathFactory, operations: list[str],
                                                   data: st.DataObject) -> None:
    base = tmp_path_factory.mktemp("incremental")
    root = base / "journal"
    start(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1790000000")
        assert run(root, jobs=1).exit_code == 0
        check_sequence(root, base, operations, data)


def check_sequence(root: Path, base: Path, operations: list[str], data: st.DataObject) -> None:
    for step, operation in enumerate(operations):
        apply(root, operation, step, data)
        note(f"step {step}: {operation}")
        incremental = run(root, jobs=1)
        clean_root = base / f"clean-{step}"
        shutil.copytree(root, clean_root, ignore=shutil.ignore_patterns("site", ".site*", ".mirror-cache"))
        clean = run(clean_root, jobs=1)
        assert (incremental.exit_code, incremental.failure) == (clean.exit_code, clean.failure), operation
        assert incremental.exit_code == 0, incremental.failure  # every operation keeps the journal publishable
        assert tree(root / "site") == tree(clean_root / "site"), f"step {step}: {operation}"
        shutil.rmtree(clean_root)


def sources(root: Path) -> dict[str, bytes]:
    """What the watcher watches: the journal without its cache."""
    return {path: data for path, data in tree(root).items() if not path.startswith(".mirror-cache/")}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@settings(max_examples=2, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.permutations(OPERATIONS), data=st.data())
def test_a_serve_rebuild_equals_a_clean_build(tmp_path_factory: pytest.TempPathFactory, operations: list[str],
                                              data: st.DataObject) -> None:
    """`mirror serve` rebuilds differently: it reads again only the papers the watcher reported,
    and takes each paper's values of the whole-site outputs from the previous build (memo.py).
    Every operation once, each followed by a rebuild told what changed, as the watcher tells it."""
    base = tmp_path_factory.mktemp("serve")
    root = base / "journal"
    start(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1790000000")
        preview = Preview(root, base / "work", lambda line: None, jobs=1)
        try:
            preview.rebuild()
            for step, operation in enumerate(operations):
                before = sources(root)
                apply(root, operation, step, data)
                note(f"step {step}: {operation}")
                after = sources(root)
                for path in sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p)):
                    preview.changed(path)
                snapshot = preview.rebuild()
                clean_root = base / f"clean-{step}"
                shutil.copytree(root, clean_root, ignore=shutil.ignore_patterns("site", ".site*", ".mirror-cache"))
                clean = run(clean_root, jobs=1)
                assert clean.exit_code == 0 and not snapshot.failure and snapshot.folder, (clean.failure, snapshot.failure)
                assert tree(snapshot.folder) == tree(clean_root / "site"), f"step {step}: {operation}"
                shutil.rmtree(clean_root)
        finally:
            preview.close()
