"""Resource limits (RELIABILITY.md rows 15, 30, 33, 42 and the extra cases X1–X5 of docs/reliability.md):
every per-file cap of `[limits]` holds a paper back with a diagnostic, each is configurable in
mirror.toml, and a generous per-paper time guard stops a render that hangs without making output
depend on machine load (it counts CPU time, and only a hang reaches it)."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import GOOD_FRONT, PNG_3x2, paper_text, run, write_journal
from markdown_it import MarkdownIt

from mirror_site.build import EXIT_HELD_BACK, EXIT_OK
from mirror_site.config import Limits, load_config
from mirror_site.timeguard import RenderTimeout, time_limit

REVIEW = "---\nreviewer: {name: R, kind: ai, model: m}\ndate: 2026-01-16\nrecommendation: accept\n---\nFine.\n"


def errors(result: Any) -> list[str]:
    return sorted(d.format().split("]:", 1)[0] + "]" for d in result.diagnostics if d.level == "error")


def journal_with(root: Path, limits: str, files: dict[str, str | bytes]) -> Path:
    return write_journal(root, {"mirror.toml": f"[limits]\n{limits}\n", "papers/companion/paper.md": paper_text(), **files})


# --- every cap is configurable and holds the paper back ----------------------------------------------

CAPS = {
    "max_paper_bytes": ("max_paper_bytes = 300", {"papers/big/paper.md": paper_text(body="x" * 400)},
                        "papers/big/paper.md:1:1: error[paper-too-large]"),
    "max_front_matter_bytes": ("max_front_matter_bytes = 400",
                               {"papers/big/paper.md": paper_text(GOOD_FRONT + "extra: {note: " + "y" * 300 + "}\n")},
                               "papers/big/paper.md:2:1: error[front-matter-too-large]"),
    "max_figure_bytes": ("max_figure_bytes = 10", {"papers/big/paper.md": paper_text(body="# I\n\n![A plot.](fig.png)\n"),
                                                   "papers/big/fig.png": PNG_3x2},
                         "papers/big/paper.md:12:12: error[figure-too-large]"),
    "max_figure_pixels": ("max_figure_pixels = 5", {"papers/big/paper.md": paper_text(body="# I\n\n![A plot.](fig.png)\n"),
                                                    "papers/big/fig.png": PNG_3x2},
                          "papers/big/paper.md:12:12: error[figure-too-large]"),
    "max_bib_bytes": ("max_bib_bytes = 10", {"papers/big/paper.md": paper_text(body="# I\n\nAs shown [@a].\n"),
                                             "papers/big/references.bib": "@misc{a, title = {A long enough entry}}\n"},
                      "papers/big/references.bib:1:1: error[bib-too-large]"),
}


@pytest.mark.parametrize("cap", list(CAPS))
def test_each_size_cap_is_configurable_and_holds_the_paper_back(tmp_path: Path, cap: str) -> None:
    """Rows 15, 42 (and the BibTeX cap): a tiny limit in mirror.toml holds back a paper that the default lets through."""
    limit, files, expected = CAPS[cap]
    assert run(journal_with(tmp_path / "default", "", files), jobs=1).exit_code == EXIT_OK
    result = run(journal_with(tmp_path / "small", limit, files), jobs=1)
    assert result.exit_code == EXIT_HELD_BACK and result.held_back == ("big",), result
    assert expected in errors(result), errors(result)
    assert "companion" in result.published


def test_highlighting_cap_is_configurable(tmp_path: Path) -> None:
    """Row 33 with a configured cap: longer code is published plain, with a warning."""
    body = "# I\n\n```python\n" + "x = 1\n" * 20 + "```\n"
    root = journal_with(tmp_path / "j", "max_highlight_lines = 10", {"papers/code/paper.md": paper_text(body=body)})
    result = run(root, jobs=1)
    assert result.exit_code == EXIT_OK and "code" in result.published
    assert any(d.code == "code-too-long" and d.line == 12 for d in result.diagnostics)
    assert 'class="highlight"' not in (root / "site/papers/code/index.html").read_text(encoding="utf-8")


def test_every_limit_is_documented_and_must_be_positive(tmp_path: Path) -> None:
    text = "[limits]\n" + "".join(f"{name} = 0\n" for name in Limits.__dataclass_fields__)
    _, problems = load_config(write_journal(tmp_path / "j", {"mirror.toml": text}))
    assert sorted(p.message for p in problems) == sorted(f"`limits.{n}` must be at least 1" for n in Limits.__dataclass_fields__)
    docs = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Limits.__dataclass_fields__:
        assert f"| `{name}` |" in docs, name


# --- the time guard ---------------------------------------------------------------------------------


def hang_on(monkeypatch: pytest.MonkeyPatch, trigger: str) -> None:
    """Make the Markdown parser spin for ever on `trigger`: a stand-in for an unknown pathological input."""
    original = MarkdownIt.parse

    def parse(self: MarkdownIt, src: str, env: Any = None) -> Any:
        while trigger in src:
            pass
        return original(self, src, env)

    monkeypatch.setattr(MarkdownIt, "parse", parse)


def test_row_30_a_render_that_hangs_is_held_back_by_the_time_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Row 30's "per-paper time budget" (and X1): a paper whose render never ends is stopped after
    `limits.max_render_seconds` of CPU time and held back with a diagnostic; the rest is published."""
    hang_on(monkeypatch, "HANG-FOR-EVER")
    root = journal_with(tmp_path / "j", "max_render_seconds = 1",
                        {"papers/hangs/paper.md": paper_text(body="# I\n\nHANG-FOR-EVER\n"),
                         "papers/fine/paper.md": paper_text()})
    started = time.monotonic()
    result = run(root, jobs=1)
    assert time.monotonic() - started < 60, "the guard did not stop the render"
    assert result.exit_code == EXIT_HELD_BACK and result.held_back == ("hangs",)
    assert result.published == ("companion", "fine")
    assert errors(result) == ["papers/hangs/paper.md:10:1: error[render-timeout]"]
    message = next(d for d in result.diagnostics if d.code == "render-timeout").message
    assert message == "rendering took more than 1 s of CPU time and was stopped"  # the limit, never a measured time
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0), "the timer is still armed after the build"
    assert signal.getsignal(signal.SIGPROF) in (signal.SIG_DFL, None), "the signal handler was not restored"


def test_a_review_that_hangs_is_held_back_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hang_on(monkeypatch, "HANG-FOR-EVER")
    root = journal_with(tmp_path / "j", "max_render_seconds = 1",
                        {"papers/p/paper.md": paper_text(), "papers/p/reviews/01-r.md": REVIEW + "HANG-FOR-EVER\n"})
    result = run(root, jobs=1)
    assert errors(result) == ["papers/p/reviews/01-r.md:6:1: error[render-timeout]"]
    assert result.held_back == ("p",)


def test_the_default_guard_never_fires_on_ordinary_papers_and_output_is_stable(tmp_path: Path) -> None:
    """The guard is armed and disarmed for every paper; with the default limit, output equals a build
    whose limit is the largest possible: the guard changes nothing unless something hangs."""
    files = {f"papers/p{i}/paper.md": paper_text(body="# I\n\n" + "Some *text* $x^2$.\n" * 50) for i in range(5)}
    default = run(journal_with(tmp_path / "a", "", files), jobs=1)
    generous = run(journal_with(tmp_path / "b", f"max_render_seconds = {2**31 - 1}", files), jobs=1)
    assert default.exit_code == generous.exit_code == EXIT_OK
    assert default.diagnostics == generous.diagnostics

    def tree(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    assert tree(tmp_path / "a/site") == tree(tmp_path / "b/site")


def test_time_limit_counts_cpu_time_not_waiting() -> None:
    """A block that sleeps uses no CPU: a 1 s limit does not fire during a 1.5 s sleep (a loaded
    machine, where the process waits for a core, is the same case); a busy loop is stopped."""
    with time_limit(1):
        time.sleep(1.5)
    started = time.process_time()
    with pytest.raises(RenderTimeout), time_limit(1):
        while True:
            pass
    assert 0.9 <= time.process_time() - started < 30


def test_time_limit_survives_code_that_swallows_the_first_signal() -> None:
    """The signal repeats while the block runs, so parsing code with a bare `except` cannot hide a hang."""
    swallowed = 0
    with pytest.raises(RenderTimeout), time_limit(1):
        while True:
            try:
                while True:
                    pass
            except BaseException:  # noqa: B036 - the point of the test
                swallowed += 1
                if swallowed > 2:
                    raise
    assert swallowed == 3


# --- extra cases found while hardening ------------------------------------------------------------


def test_x2_review_that_is_a_folder_is_refused_not_a_crash(tmp_path: Path) -> None:
    """X2: `reviews/01-x.md/` is a folder: reading it raised IsADirectoryError (a traceback) before the fix."""
    root = write_journal(tmp_path / "j", {"papers/companion/paper.md": paper_text(), "papers/p/paper.md": paper_text(),
                                          "papers/p/reviews/01-x.md/inner.txt": "x"})
    result = run(root, jobs=1)
    assert errors(result) == ["papers/p/reviews/01-x.md: error[review-name]"]
    assert result.held_back == ("p",) and result.published == ("companion",)


def test_x3_review_that_is_a_named_pipe_is_never_opened(tmp_path: Path) -> None:
    """X3: a FIFO named like a review blocked the build for ever (reading waits for a writer) before the fix."""
    root = write_journal(tmp_path / "j", {"papers/companion/paper.md": paper_text(), "papers/p/paper.md": paper_text()})
    (root / "papers/p/reviews").mkdir()
    os.mkfifo(root / "papers/p/reviews/01-pipe.md")
    pid = os.fork()
    if pid == 0:  # the build runs in a child, so that a regression hangs the child and not the test run
        result = run(root, jobs=1)
        os._exit(10 + result.exit_code if errors(result) == ["papers/p/reviews/01-pipe.md: error[review-name]"] else 1)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 10 + EXIT_HELD_BACK
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the build blocked on a named pipe")


def test_x4_review_over_the_paper_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    """X4: reviews were read whole, whatever their size."""
    root = journal_with(tmp_path / "j", "max_paper_bytes = 2000",
                        {"papers/p/paper.md": paper_text(), "papers/p/reviews/01-r.md": REVIEW + "x" * 3000})
    result = run(root, jobs=1)
    assert errors(result) == ["papers/p/reviews/01-r.md:1:1: error[paper-too-large]"]
    assert result.held_back == ("p",)


def revised(v1: str) -> dict[str, str | bytes]:
    front = GOOD_FRONT + ("version: 2\nchanges:\n  - version: 2\n    date: 2026-01-20\n    kind: typo\n"
                          f"    summary: \"Typo.\"\n    sha256: \"{hashlib.sha256(v1.encode()).hexdigest()}\"\n")
    return {"papers/p/paper.md": paper_text(front)}


def test_x5_frozen_version_behind_a_linked_folder_is_not_read(tmp_path: Path) -> None:
    """X5 (row 37's rule for versions): `versions/` is a link out of the paper folder: the frozen file
    behind it was read and published when its hash matched (only the last path part was checked)."""
    v1 = paper_text(GOOD_FRONT.replace("A good paper", "Outside text"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "v1.md").write_text(v1, encoding="utf-8")
    root = write_journal(tmp_path / "j", {"papers/companion/paper.md": paper_text(), **revised(v1)})
    (root / "papers/p/versions").symlink_to(outside, target_is_directory=True)
    result = run(root, jobs=1)
    assert [e.split(": ")[-1] for e in errors(result)] == ["error[version-missing]"], errors(result)
    assert result.held_back == ("p",)
    assert not any(b"Outside text" in p.read_bytes() for p in (root / "site").rglob("*") if p.is_file())


def test_x5_frozen_version_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    v1 = paper_text(body="x" * 3000)
    root = journal_with(tmp_path / "j", "max_paper_bytes = 2500", {**revised(v1), "papers/p/versions/v1.md": v1})
    result = run(root, jobs=1)
    assert errors(result) == ["papers/p/versions/v1.md:1:1: error[paper-too-large]"]
    assert result.held_back == ("p",)
