"""Faults around the build (RELIABILITY.md rows 52, 53, 62, 63): a disk that fills, permissions that
refuse, Ctrl-C at random moments, a corpus of a few hundred papers, a base URL with a sub-path.

Tests run as root in the project's containers, and root ignores permission bits: the builds that must
meet a read-only folder run in a child that dropped CAP_DAC_OVERRIDE (what a deploy user would be).
A disk that fills is met twice: RLIMIT_FSIZE (a file may not grow past a size, EFBIG) and, where the
machine allows a private mount namespace, a real full tmpfs (ENOSPC).
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import GOOD_FRONT, PNG_3x2, paper_text, run, tree, write_journal

from mirror_site.build import EXIT_FAILED, EXIT_HELD_BACK, EXIT_OK
from mirror_site.store import CACHE_DIR

ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1790000000"}


def mirror(root: Path, out: Path, *args: str, preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mirror_site", "--root", str(root), "build", "--out", str(out), *args]
    return subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300, preexec_fn=preexec, check=False)


def leftovers(out: Path) -> list[str]:
    """What a build may leave beside the output: only its lock file, its manifest and the spare site
    (the site before, which the next build recycles: write.py)."""
    companions = {f".{out.name}.{name}" for name in ("lock", "manifest", "spare", "spare.manifest")}
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.") and p.name not in companions)


def journal(root: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    return write_journal(root, {"papers/first/paper.md": paper_text(), "papers/second/paper.md": paper_text(), **(extra or {})})


BIG = {"papers/big/paper.md": paper_text(body="# Big\n\n" + "A long paragraph of words. " * 50_000 + "\n")}  # 1.35 MB


# --- row 52: disk full ----------------------------------------------------------------------------


def file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_row_52_disk_full_fails_the_build_and_keeps_the_previous_site(tmp_path: Path) -> None:
    """RLIMIT_FSIZE: the first output file over 64 KiB cannot be written (EFBIG, as on a full disk)."""
    root, out = journal(tmp_path / "j"), tmp_path / "out" / "site"
    assert mirror(root, out).returncode == EXIT_OK
    before = tree(out)
    write_journal(root, BIG)
    result = mirror(root, out, preexec=file_size_limit(64 * 1024))
    assert result.returncode == EXIT_FAILED, result.stderr
    assert "could not write the site" in result.stderr and "File too large" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert leftovers(out) == [], "the staging folder was left behind"
    assert tree(out) == before
    assert mirror(root, out).returncode == EXIT_OK and "papers/big/index.html" in tree(out)  # room again: it publishes


NAMESPACE_SCRIPT = textwrap.dedent("""\
    mount -t tmpfs -o size=2m tmpfs "$MNT" || exit 99
    "$PY" -m mirror_site --root "$SMALL" build --out "$MNT/site" >/dev/null 2>&1 || exit 98
    "$PY" -m mirror_site --root "$BIG" build --out "$MNT/site" 2>"$ERR"
    echo $? >"$RC"
    cp -a "$MNT/." "$COPY/"
""")


def test_row_52_real_full_disk_in_a_private_tmpfs(tmp_path: Path) -> None:
    """ENOSPC from a 2 MB tmpfs mounted in a private mount namespace (skipped where that is not allowed)."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1)")
    small, big = journal(tmp_path / "small"), journal(tmp_path / "big", BIG)
    (tmp_path / "mnt").mkdir()
    (tmp_path / "copy").mkdir()
    env = {**ENV, "MNT": str(tmp_path / "mnt"), "PY": sys.executable, "SMALL": str(small), "BIG": str(big),
           "ERR": str(tmp_path / "err"), "RC": str(tmp_path / "rc"), "COPY": str(tmp_path / "copy")}
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", NAMESPACE_SCRIPT], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode == 99 or "unshare failed" in done.stderr:
        pytest.skip("no private mount namespace here: " + done.stderr.strip()[:200])
    assert done.returncode == 0, done.stderr
    err = (tmp_path / "err").read_text()
    assert (tmp_path / "rc").read_text().strip() == str(EXIT_FAILED), err
    assert "No space left on device" in err and "Traceback" not in err, err
    assert leftovers(tmp_path / "copy" / "site") == []
    mirror(small, tmp_path / "reference" / "site")
    assert tree(tmp_path / "copy" / "site") == tree(tmp_path / "reference" / "site")


# --- row 52: EACCES -------------------------------------------------------------------------------


def without_root_powers() -> None:
    """In the child: drop the capabilities that let root ignore permission bits, before exec."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def require_permission_checks(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.mkdir(mode=0o555)
    try:
        done = subprocess.run([sys.executable, "-c", f"open({str(probe / 'x')!r}, 'w')"], capture_output=True,
                              preexec_fn=without_root_powers, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot drop root's file capabilities here: {exc}")
    finally:
        probe.chmod(0o755)
    if done.returncode == 0:
        pytest.skip("permission bits are not enforced for this user")


@pytest.mark.parametrize("previous", [True, False], ids=["previous-site", "first-build"])
def test_row_52_read_only_output_parent_fails_cleanly(tmp_path: Path, previous: bool) -> None:
    """EACCES: neither the staging folder nor (on a first build) the lock file can be created. Before
    the fix, a first build into a read-only folder died with a PermissionError traceback."""
    require_permission_checks(tmp_path)
    root, out = journal(tmp_path / "j"), tmp_path / "out" / "site"
    out.parent.mkdir()
    if previous:
        assert mirror(root, out).returncode == EXIT_OK
    before = tree(out) if previous else {}
    out.parent.chmod(0o555)
    try:
        result = mirror(root, out, preexec=without_root_powers)
    finally:
        out.parent.chmod(0o755)
    assert result.returncode == EXIT_FAILED, result.stderr
    assert "Permission denied" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "nothing was written; the previous site is untouched" in result.stderr
    assert leftovers(out) == []
    assert (tree(out) if out.exists() else {}) == before


def test_row_52_read_only_output_folder_is_replaced_whole(tmp_path: Path) -> None:
    """The output folder itself read-only (every folder in it 0555): the new site is staged beside it and
    swapped in by renames, which need only the parent. Before the fix, the parked previous site could not
    be deleted and stayed beside the output for ever (`.site.old-PID`)."""
    require_permission_checks(tmp_path)
    root, out = journal(tmp_path / "j"), tmp_path / "out" / "site"
    assert mirror(root, out).returncode == EXIT_OK
    for folder in [out, *(p for p in out.rglob("*") if p.is_dir())]:
        folder.chmod(0o555)
    write_journal(root, {"papers/third/paper.md": paper_text()})
    result = mirror(root, out, preexec=without_root_powers)
    assert result.returncode == EXIT_OK, result.stderr
    assert (out / "papers/third/index.html").is_file()
    assert leftovers(out) == [], "the previous site was left parked beside the output"


# --- row 53: Ctrl-C -------------------------------------------------------------------------------


def group_ends(group: int, seconds: float = 20) -> bool:
    """Whether every process of the process group `group` has ended within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    os.killpg(group, signal.SIGKILL)
    return False


def test_row_53_ctrl_c_midway_keeps_the_previous_site_and_next_build_cleans_up(tmp_path: Path) -> None:
    """SIGINT to the build's process group (what Ctrl-C sends) while rendering and while writing: the
    build stops with exit 130 and one line, no traceback, the site is the previous one, whole, and the
    next build publishes. (A signal that lands while Python itself starts or shuts down ends the
    process before Mirror runs or after it finished: then the site is the previous or the new one.)"""
    files: dict[str, str | bytes] = {f"papers/p{i:03d}/paper.md": paper_text(body="# S\n\n" + "word " * 3000)
                                     for i in range(300)}
    changed: dict[str, str | bytes] = {"papers/p000/paper.md": paper_text(body="# Changed\n")}
    root, out = write_journal(tmp_path / "journal", files), tmp_path / "journal" / "site"
    reference = write_journal(tmp_path / "reference", {**files, **changed})

    def command(journal: Path) -> list[str]:
        return [sys.executable, "-m", "mirror_site", "--root", str(journal), "build", "--jobs", "2"]

    subprocess.run(command(root), env=ENV, check=True, capture_output=True)
    subprocess.run(command(reference), env=ENV, check=True, capture_output=True)
    before, after = tree(out), tree(reference / "site")
    write_journal(root, changed)
    interrupted = 0
    pick = random.Random(53)  # and at random moments (seeded: CI repeats them)
    for moment in ("rendering", "writing", "writing", *(f"{pick.uniform(0.2, 4.0):.3f}" for _ in range(3))):
        process = subprocess.Popen(command(root), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        deadline = time.monotonic() + 120
        if moment == "rendering":
            shutil.rmtree(root / CACHE_DIR, ignore_errors=True)  # every paper is rendered again, not only the changed one
            time.sleep(1.5)  # past the imports (a second or less), into loading and rendering
        elif moment != "writing":
            shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
            time.sleep(float(moment))
        while (moment == "writing" and not any(root.glob(".site.staging-*/papers")) and process.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.002)
        os.killpg(process.pid, signal.SIGINT)
        try:
            _, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("the build did not stop after Ctrl-C")
        assert group_ends(process.pid), "processes of the build (workers, forkserver) outlived it"
        site = tree(out)
        assert "Traceback" not in err, err
        assert site in (before, after), f"a mixed site after Ctrl-C ({moment}, exit {process.returncode})"
        if process.returncode == 130:  # the site is the previous one, or the new one if the swap was done
            assert "interrupted" in err, err
            interrupted += 1
        elif process.returncode == EXIT_FAILED:
            # Ctrl-C can land while the build cache is written: then it is reported as a failed build,
            # which leaves the previous site (checked above) as the policy requires.
            assert "the previous site is untouched" in err, err
        else:
            assert process.returncode in (EXIT_OK, -signal.SIGINT), (process.returncode, err)
    assert interrupted >= 1, "no Ctrl-C landed during a build: make the journal larger"
    subprocess.run(command(root), env=ENV, check=True, capture_output=True)
    assert leftovers(out) == []
    assert tree(out) == after


def test_row_53_interrupt_between_the_two_renames_puts_the_previous_site_back(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The narrowest moment of the swap: the previous site is parked, the new one not yet in place. A
    Ctrl-C (or a failing rename) there restores the previous site at once, not only at the next build."""
    root, out = journal(tmp_path / "j"), tmp_path / "j" / "site"
    assert run(root).exit_code == EXIT_OK
    before = tree(out)
    write_journal(root, {"papers/third/paper.md": paper_text()})
    real_rename = os.rename
    calls: list[str] = []

    def rename(source: object, target: object) -> None:
        calls.append(Path(str(source)).name)
        if Path(str(source)).name.startswith(".site.staging-") and Path(str(target)) == out and len(calls) == 2:
            raise KeyboardInterrupt  # once: the stage is about to become the site
        real_rename(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        run(root)
    monkeypatch.setattr(os, "rename", real_rename)
    assert calls[0] == "site" and calls[1].startswith(".site.staging-"), calls
    assert tree(out) == before
    assert leftovers(out) == []


# --- row 62: a few hundred papers -----------------------------------------------------------------

MEASURE = textwrap.dedent("""\
    import json, resource, sys
    from pathlib import Path
    from mirror_site.build import BuildOptions, build
    seen = []
    result = build(BuildOptions(root=Path(sys.argv[1]), out=Path(sys.argv[2]), jobs=int(sys.argv[3]),
                                progress=lambda done, total: seen.append((done, total))))
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"exit": result.exit_code, "published": len(result.published), "progress": seen[-1], "calls": len(seen),
                      "kib": usage}))
""")


def test_row_62_a_few_hundred_papers_build_with_bounded_memory_and_progress(tmp_path: Path) -> None:
    """300 papers (about 20 KB of Markdown each, with a figure): the build completes, reports progress for
    every paper, and its peak memory stays far under a generous bound. The 10 000-paper figures are
    measured by the benchmark, not asserted here (a test never asserts timings)."""
    files: dict[str, str | bytes] = {}
    for i in range(300):
        body = f"# Section {i}\n\n" + "Attention heads form circuits, $x^2$, [a link](https://example.org). " * 250
        files[f"papers/p{i:03d}/paper.md"] = paper_text(body=body + "\n![A plot.](fig.png)\n")
        files[f"papers/p{i:03d}/fig.png"] = PNG_3x2
    root = write_journal(tmp_path / "j", files)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(root), str(tmp_path / "site"), "1"], env=ENV,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["exit"] == EXIT_OK and figures["published"] == 300
    assert figures["progress"] == [300, 300] and figures["calls"] == 300
    # Measured at 65 MiB (46 MiB for 100 papers) on the development machine, but 407 MiB once in a CI
    # clone with a cold cache: the bound only catches gross regressions; the benchmark measures memory.
    assert figures["kib"] < 1024 * 1024, f"peak RSS {figures['kib'] / 1024:.0f} MiB for 300 papers"


# --- row 63: a base URL with a sub-path ------------------------------------------------------------


class _References(HTMLParser):
    """Every URL a page makes the browser or a reader follow: links, assets, forms, metadata."""

    ATTRIBUTES = ("href", "src", "action", "poster", "data-manifest")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in self.ATTRIBUTES:
            if values.get(name):
                self.found.append(str(values[name]))
        if values.get("srcset"):
            self.found += [part.strip().split(" ")[0] for part in str(values["srcset"]).split(",")]
        if tag == "meta" and values.get("property", "").startswith("og:") and str(values.get("content", "")).startswith("http"):
            self.found.append(str(values["content"]))


def test_row_63_every_internal_link_and_asset_resolves_under_a_sub_path(tmp_path: Path) -> None:
    """Built for https://x.org/sub/path/, every URL in every page that points into the site (links,
    stylesheets, scripts, figures, the search manifest, feeds, canonical and Open Graph URLs) resolves to a
    file of the output, and none points at the host's root outside /sub/path/."""
    base = "https://x.org/sub/path/"
    front = GOOD_FRONT + "keywords: [circuits]\nmethods: [probing]\nfinding: novel\n"
    body = ("# Intro {#sec:intro}\n\nSee @sec:intro, [@mirror:second] and the figure.\n\n![A plot.](figures/a b.png){#fig:a}\n\n"
            "Text[^1].\n\n[^1]: A note.\n")
    root = write_journal(tmp_path / "j", {"papers/first/paper.md": paper_text(front, body),
                                          "papers/first/figures/a b.png": PNG_3x2,
                                          "papers/second/paper.md": paper_text(GOOD_FRONT + "keywords: [circuits]\n")})
    result = run(root, jobs=1, base_url=base)
    assert result.exit_code == EXIT_OK, [d.format() for d in result.diagnostics]
    site = root / "site"
    checked, broken = 0, []
    for page in sorted(site.rglob("*.html")):
        relative = page.relative_to(site).as_posix()
        url = base + (relative.removesuffix("index.html"))
        parser = _References()
        parser.feed(page.read_text(encoding="utf-8"))
        for reference in parser.found:
            target = urlsplit(urljoin(url, reference))
            if target.netloc != "x.org":
                continue
            checked += 1
            if not target.path.startswith("/sub/path/"):
                broken.append(f"{relative}: {reference} leaves the base path")
                continue
            local = site / unquote(target.path.removeprefix("/sub/path/"))
            if not (local.is_file() or (local / "index.html").is_file()):
                broken.append(f"{relative}: {reference}")
    assert broken == [], broken[:20]
    assert checked > 200  # stylesheets, figures, feeds, listings, the search script and manifest were all seen
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert "papers/first/index.html" in pages and "search/index.html" in pages


def test_row_48_link_to_a_held_back_paper_warns_and_fails_under_strict(tmp_path: Path) -> None:
    """Row 48: `[@mirror:b]` and `relations: {extends: [b]}` where b is held back: A is published with
    warnings, and b is shown unresolved, never as a link to a page that does not exist (before the fix,
    both were links: `href="../b/"` and `href="b"`); --strict fails."""
    root = write_journal(tmp_path / "j", {
        "papers/a/paper.md": paper_text(GOOD_FRONT + "relations: {extends: [b], replicates: ['mirror:b']}\n",
                                        body="# Intro\n\nAs in [@mirror:b].\n"),
        "papers/b/paper.md": paper_text(GOOD_FRONT.replace("kind: ai", "kind: robot"))})
    result = run(root, jobs=1)
    assert result.exit_code == EXIT_HELD_BACK and result.published == ("a",) and result.held_back == ("b",)
    held = sorted(d.line for d in result.diagnostics if d.code == "mirror-link-held" and d.level == "warning")
    assert held == [9, 13], result.diagnostics  # the relations line (one warning for both), the citation
    page = (root / "site/papers/a/index.html").read_text(encoding="utf-8")
    assert not re.search(r'href="[^"]*\bb/?"', page), re.findall(r'href="[^"]*\bb/?"', page)
    assert page.count('<span class="citation-missing"') == 3  # the citation and both relations, as text
    assert run(root, jobs=1, strict=True).exit_code == EXIT_FAILED
