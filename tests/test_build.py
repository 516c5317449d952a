"""Whole builds: the golden site, determinism, the error policy, the atomic swap, the lock."""

from __future__ import annotations

import gc
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import GOOD_FRONT, PROJECT, paper_text, run, tree, write_journal

from mirror_site.build import EXIT_FAILED, EXIT_HELD_BACK, EXIT_OK, EXIT_USAGE
from mirror_site.write import output_lock

GOLDEN_JOURNAL = Path(__file__).parent / "fixtures" / "golden-journal"
GOLDEN_SITE = Path(__file__).parent / "fixtures" / "golden-site"


def test_golden_site(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The built site equals the committed tree. Regenerate on purpose: pytest --regen-golden."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    root = tmp_path / "journal"
    shutil.copytree(GOLDEN_JOURNAL, root)
    result = run(root, jobs=1)
    assert result.exit_code == EXIT_OK, [d.format() for d in result.diagnostics]
    built = tree(root / "site")
    if request.config.getoption("--regen-golden"):
        shutil.rmtree(GOLDEN_SITE, ignore_errors=True)
        shutil.copytree(root / "site", GOLDEN_SITE)
    assert built == tree(GOLDEN_SITE)


def test_two_builds_are_byte_identical_whatever_the_environment(tmp_path: Path) -> None:
    """Row 58: same input, different hash seed, timezone, locale and file order → same bytes."""
    outputs = []
    for seed, tz in (("1", "UTC"), ("999", "Asia/Kathmandu")):
        root = tmp_path / f"j{seed}"
        shutil.copytree(GOLDEN_JOURNAL, root)
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "LC_ALL": "C.UTF-8", "SOURCE_DATE_EPOCH": "1790000000"}
        subprocess.run([sys.executable, "-m", "mirror_site", "--root", str(root), "build", "--jobs", "2"],
                       env=env, check=True, capture_output=True)
        outputs.append(tree(root / "site"))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 5


def test_build_exempts_papers_from_cycle_collection_only_while_it_runs(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What exists when a build starts, then the papers' metadata too, is frozen for the garbage
    collector while the build runs (speed), and handed back afterwards, also when the build fails:
    a long-running `mirror serve` must not leak."""
    import mirror_site.write as write

    frozen: list[int] = []
    real_publish = write.publish

    def spy(*args: object, **kwargs: object) -> int:
        frozen.append(gc.get_freeze_count())
        return real_publish(*args, **kwargs)  # type: ignore[arg-type]

    import mirror_site.build as build_module

    real_prepare = build_module.prepare_all

    def prepare_spy(*args: object, **kwargs: object) -> object:
        frozen.append(gc.get_freeze_count())  # what `mirror serve` keeps between builds: not walked while reading papers
        return real_prepare(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("mirror_site.build.publish", spy)
    monkeypatch.setattr("mirror_site.build.prepare_all", prepare_spy)
    assert run(journal, jobs=1).exit_code in (EXIT_OK, EXIT_HELD_BACK)
    assert len(frozen) == 2 and 1000 < frozen[0] < frozen[1] and gc.get_freeze_count() == 0

    def broken(*args: object, **kwargs: object) -> int:
        raise write.WriteFailed("disk gone")

    monkeypatch.setattr("mirror_site.build.publish", broken)
    assert run(journal, jobs=1).exit_code == EXIT_FAILED and gc.get_freeze_count() == 0


def test_bad_paper_is_held_back_and_the_rest_published(journal: Path) -> None:
    write_journal(journal, {
        "papers/good/paper.md": paper_text(),
        "papers/bad/paper.md": paper_text(GOOD_FRONT.replace("kind: ai", "kind: robot")),
    })
    result = run(journal)
    assert result.exit_code == EXIT_HELD_BACK
    assert result.published == ("good",) and result.held_back == ("bad",)
    assert [d.format().split("]:")[0] for d in result.diagnostics] == ["papers/bad/paper.md:5:11: error[choice"]
    assert (journal / "site/papers/good/index.html").is_file()
    assert not (journal / "site/papers/bad").exists()
    assert b"/papers/bad/" not in (journal / "site/index.html").read_bytes()


def test_published_paper_that_becomes_invalid_fails_the_build(journal: Path) -> None:
    """Row 57b: the previous site stays, byte for byte."""
    write_journal(journal, {"papers/good/paper.md": paper_text(), "papers/other/paper.md": paper_text()})
    assert run(journal).exit_code == EXIT_OK
    before = tree(journal / "site")
    write_journal(journal, {"papers/good/paper.md": paper_text(GOOD_FRONT.replace("date: 2026-01-15", "date: 2026-02-30"))})
    result = run(journal)
    assert result.exit_code == EXIT_FAILED
    assert "papers/good/paper.md" in result.failure and "withdrawn" in result.failure
    assert any(d.code == "date" and d.line == 7 for d in result.diagnostics)
    assert tree(journal / "site") == before


def test_published_paper_whose_folder_disappears_fails_the_build(journal: Path) -> None:
    """Row 57: deleting a published paper is not how a paper is taken down."""
    write_journal(journal, {"papers/good/paper.md": paper_text(), "papers/other/paper.md": paper_text()})
    assert run(journal).exit_code == EXIT_OK
    before = tree(journal / "site")
    shutil.rmtree(journal / "papers/other")
    result = run(journal)
    assert result.exit_code == EXIT_FAILED and "status: withdrawn" in result.failure
    assert tree(journal / "site") == before


def test_unpublished_paper_deleted_leaves_no_trace(journal: Path) -> None:
    """Row 57, first half: a paper that was never published (held back) simply goes."""
    write_journal(journal, {"papers/good/paper.md": paper_text(), "papers/bad/paper.md": "no front matter"})
    assert run(journal).exit_code == EXIT_HELD_BACK
    shutil.rmtree(journal / "papers/bad")
    assert run(journal).exit_code == EXIT_OK


def test_strict_fails_on_held_back_papers_and_warnings(journal: Path) -> None:
    write_journal(journal, {"papers/good/paper.md": paper_text(body="```notalang\nx\n```\n")})
    assert run(journal, strict=True).exit_code == EXIT_FAILED
    assert not (journal / "site").exists()
    assert run(journal).exit_code == EXIT_OK


def test_max_held_back_fails_the_build(journal: Path) -> None:
    """Row 51: a systemic problem fails the build instead of publishing a gutted journal."""
    write_journal(journal, {"mirror.toml": "max_held_back = 1\n", "papers/good/paper.md": paper_text(),
                            "papers/bad-one/paper.md": "x", "papers/bad-two/paper.md": "y"})
    result = run(journal)
    assert result.exit_code == EXIT_FAILED and "max_held_back" in result.failure
    assert not (journal / "site").exists()


def test_drafts_and_future_papers_are_not_published(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows 59, 60: the build date comes from SOURCE_DATE_EPOCH, so this is deterministic."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1768435200))  # 2026-01-15
    write_journal(journal, {
        "papers/today/paper.md": paper_text(),
        "papers/tomorrow/paper.md": paper_text(GOOD_FRONT.replace("2026-01-15", "2026-01-16")),
        "papers/drafty/paper.md": paper_text(GOOD_FRONT + "draft: true\n"),
    })
    result = run(journal)
    assert result.published == ("today",) and result.exit_code == EXIT_OK
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1768435200 + 86400))
    assert run(journal).published == ("today", "tomorrow")


def test_empty_journal_builds(journal: Path) -> None:
    """Row 61."""
    journal.mkdir()
    result = run(journal)
    assert result.exit_code == EXIT_OK
    assert (journal / "site/index.html").is_file() and (journal / "site/corpus/index.json").is_file()


def test_configuration_errors_name_their_line(journal: Path) -> None:
    """Row 50: exit 2, the line of the key, a did-you-mean."""
    write_journal(journal, {"mirror.toml": 'title = "J"\n\ntitel = "x"\nmax_held_back = "3"\n'})
    result = run(journal)
    assert result.exit_code == EXIT_USAGE
    lines = [d.format() for d in result.diagnostics]
    assert lines[0].startswith("mirror.toml:3:1: error[config-unknown-key]") and "did you mean `title`" in lines[0]
    assert lines[1].startswith("mirror.toml:4:1: error[config-type]")


def test_broken_template_fails_the_build_and_keeps_the_site(journal: Path) -> None:
    """Row 49: the template file and line are named."""
    write_journal(journal, {"papers/good/paper.md": paper_text()})
    assert run(journal).exit_code == EXIT_OK
    before = tree(journal / "site")
    write_journal(journal, {"templates/index.html": "{% extends 'base.html' %}\n{% block main %}\n{{ nope.x }}\n{% endblock %}\n"})
    result = run(journal)
    assert result.exit_code == EXIT_FAILED
    assert any(d.path == "templates/index.html" and d.line == 3 for d in result.diagnostics), result.diagnostics
    assert tree(journal / "site") == before
    write_journal(journal, {"templates/index.html": "{% block x %}\n"})
    result = run(journal)
    assert result.exit_code == EXIT_FAILED and result.diagnostics[-1].path == "templates/index.html"


def test_refuses_to_replace_a_folder_mirror_did_not_write(journal: Path) -> None:
    """Row 55."""
    write_journal(journal, {"papers/good/paper.md": paper_text(), "site/precious.txt": "mine"})
    result = run(journal)
    assert result.exit_code == EXIT_FAILED and "holds no previous Mirror build" in result.failure
    assert (journal / "site/precious.txt").read_text() == "mine"


def test_second_concurrent_build_fails_fast(journal: Path) -> None:
    """Row 56."""
    write_journal(journal, {"papers/good/paper.md": paper_text()})
    with output_lock(journal / "site"):
        result = run(journal)
    assert result.exit_code == EXIT_FAILED and "another mirror build" in result.failure


def test_output_on_another_filesystem(journal: Path, tmp_path: Path) -> None:
    """Row 54: staging happens beside the output, so /dev/shm (tmpfs) works like any folder."""
    if not Path("/dev/shm").is_dir():
        pytest.skip("no /dev/shm")
    write_journal(journal, {"papers/good/paper.md": paper_text()})
    out = Path("/dev/shm") / f"mirror-test-{os.getpid()}"
    try:
        assert run(journal, out=out).exit_code == EXIT_OK
        assert (out / "papers/good/index.html").is_file()
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_sigkill_midway_leaves_previous_site_and_next_build_cleans_up(tmp_path: Path) -> None:
    """Row 53: kill builds at several moments; the site is always the old one or the new one, whole."""
    files: dict[str, str | bytes] = {f"papers/p{i:03d}/paper.md": paper_text(body="# S\n\n" + "word " * 3000)
                                     for i in range(400)}
    journal, reference = tmp_path / "journal", tmp_path / "reference"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1790000000"}

    def command(root: Path) -> list[str]:
        return [sys.executable, "-m", "mirror_site", "--root", str(root), "build", "--jobs", "2"]

    write_journal(journal, files)
    subprocess.run(command(journal), env=env, check=True, capture_output=True)
    before = tree(journal / "site")
    changed = {"papers/p000/paper.md": paper_text(body="# Changed\n")}
    write_journal(journal, changed)
    write_journal(reference, {**files, **changed})
    subprocess.run(command(reference), env=env, check=True, capture_output=True)
    after = tree(reference / "site")

    def staging_started() -> bool:
        return any(journal.glob(".site.staging-*/papers"))

    killed_midway = 0
    # Kill while rendering (early), the moment the new site is being written (bounded wait), then
    # at random moments of a build (seeded, so that CI is repeatable; a build here takes seconds).
    pick = random.Random(53)
    for moment in ("early", "writing", "writing", *(f"{pick.uniform(0.1, 3.0):.3f}" for _ in range(4))):
        process = subprocess.Popen(command(journal), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        deadline = time.monotonic() + 120
        if moment == "early":
            time.sleep(0.05)
        elif moment != "writing":
            time.sleep(float(moment))
        while moment == "writing" and not staging_started() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        os.killpg(process.pid, signal.SIGKILL)
        if process.wait() == -signal.SIGKILL and (journal / "site").exists() and tree(journal / "site") == before:
            killed_midway += 1
        site = tree(journal / "site") if (journal / "site").exists() else {}
        parked = list(journal.glob(".site.old-*"))
        assert site in (before, after) or (not site and parked), f"mixed site after a kill ({moment})"
    assert killed_midway >= 1, "no kill landed during a build: make the journal larger"
    subprocess.run(command(journal), env=env, check=True, capture_output=True)
    # Only the lock, the manifest and the spare site (recycled by the next build, see write.py) stay beside it.
    companions = (".site.lock", ".site.manifest", ".site.spare", ".site.spare.manifest")
    assert [p.name for p in journal.iterdir() if p.name.startswith(".site.") and p.name not in companions] == []
    assert tree(journal / "site") == after


def test_project_journal_builds() -> None:
    """The repository's own journal passes `mirror check --strict`."""
    result = subprocess.run([sys.executable, "-m", "mirror_site", "--root", str(PROJECT), "check", "--strict"],
                            capture_output=True, text=True)
    assert result.returncode == EXIT_OK, result.stderr
