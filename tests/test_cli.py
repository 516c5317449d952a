"""The `mirror` command as users and agents meet it: a real subprocess, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import GOOD_FRONT, paper_text, write_journal


def mirror(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mirror_site", "--root", str(root), *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=120)


def test_version_and_help_document_exit_codes(tmp_path: Path) -> None:
    version = mirror(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("mirror ")
    help_text = mirror(tmp_path, "build", "--help").stdout
    for line in ("0  published", "1  build failed", "2  usage", "3  published, but some papers were held back"):
        assert line in help_text


def test_new_paper_passes_strict_check_as_written(tmp_path: Path) -> None:
    assert mirror(tmp_path, "new", "my-first-study").returncode == 0
    check = mirror(tmp_path, "check", "--strict")
    assert check.returncode == 0, check.stderr
    assert mirror(tmp_path, "new", "my-first-study").returncode == 2  # exists already
    assert mirror(tmp_path, "new", "Bad_Slug").returncode == 2


def test_check_writes_nothing_and_json_lists_every_problem(tmp_path: Path) -> None:
    write_journal(tmp_path, {
        "papers/good/paper.md": paper_text(),
        "papers/bad/paper.md": paper_text(GOOD_FRONT.replace("kind: ai", "kind: ia") + "titel: x\n"),
    })
    result = mirror(tmp_path, "check", "--format", "json")
    assert result.returncode == 3
    assert not (tmp_path / "site").exists()
    report = json.loads(result.stdout)
    assert report["held_back"] == ["bad"] and report["published"] == ["good"]
    found = [(d["path"], d["line"], d["col"], d["code"]) for d in report["diagnostics"]]
    assert found == [("papers/bad/paper.md", 5, 11, "choice"), ("papers/bad/paper.md", 9, 1, "unknown-key")]
    unknown = report["diagnostics"][1]
    assert unknown["hint"] == "did you mean `title`?" and unknown["level"] == "error"


def test_check_named_papers_only(tmp_path: Path) -> None:
    write_journal(tmp_path, {"papers/good/paper.md": paper_text(), "papers/bad/paper.md": "nothing"})
    assert mirror(tmp_path, "check", "papers/good").returncode == 0
    assert mirror(tmp_path, "check", "papers/bad/paper.md").returncode == 3


def test_text_output_names_file_line_and_hint_without_colour_when_piped(tmp_path: Path) -> None:
    write_journal(tmp_path, {"papers/bad/paper.md": paper_text(GOOD_FRONT.replace("date: 2026-01-15", "date: 2026-13-45"))})
    result = mirror(tmp_path, "build")
    assert result.returncode == 3
    assert "papers/bad/paper.md:7:7: error[date]: `date` is not a real date: `2026-13-45`" in result.stderr
    assert "hint: use an existing calendar date" in result.stderr
    assert "\033[" not in result.stderr
    assert "published 0 papers" in result.stderr


def test_bad_configuration_exits_2(tmp_path: Path) -> None:
    write_journal(tmp_path, {"mirror.toml": "base_url = 'ftp://x'\n"})
    result = mirror(tmp_path, "build")
    assert result.returncode == 2 and "mirror.toml:1:1: error[config-value]" in result.stderr


def test_base_url_with_a_path_prefixes_every_internal_link(tmp_path: Path) -> None:
    """Row 63, for the pages this issue publishes."""
    write_journal(tmp_path, {"papers/good/paper.md": paper_text()})
    assert mirror(tmp_path, "build", "--base-url", "https://x.org/sub/path/").returncode == 0
    home = (tmp_path / "site/index.html").read_text()
    assert 'href="/sub/path/papers/good/"' in home and 'href="/sub/path/assets/style.css"' in home
    page = (tmp_path / "site/papers/good/index.html").read_text()
    assert '<link rel="canonical" href="https://x.org/sub/path/papers/good/">' in page


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run `mirror ARGS` with stdout and stderr on a pseudo-terminal; what it printed."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "mirror_site", *args], stdin=subprocess.DEVNULL, stdout=follower,
                               stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_terminal_gets_colour_and_progress_unless_no_color(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"papers/p{i:02d}/paper.md": paper_text() for i in range(60)}
    files["papers/bad/paper.md"] = paper_text(GOOD_FRONT.replace("kind: ai", "kind: robot"))
    root = write_journal(tmp_path / "j", files)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    shown = _on_a_terminal(["--root", str(root), "build", "--jobs", "1"], env)
    assert "\x1b[" in shown and "papers/bad/paper.md:5:" in shown
    assert "\rrendering 25/61 papers" in shown and "\rrendering 61/61 papers" in shown
    plain = _on_a_terminal(["--root", str(root), "check"], {**env, "NO_COLOR": "1"})
    assert "papers/bad/paper.md:5:" in plain and "\x1b[" not in plain
