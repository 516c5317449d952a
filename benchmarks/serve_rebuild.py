#!/usr/bin/env python3
"""Where a one-edit rebuild of `mirror serve` spends its time, measured in process (a benchmark, not
a test: it prints figures and asserts nothing).

    python benchmarks/serve_rebuild.py JOURNAL [--edits 4] [--jobs 0]

JOURNAL is a journal folder, e.g. one made by `benchmarks/corpus.py`. The script builds it once the
way `mirror serve` does (into a private folder, never JOURNAL/site), then appends a sentence to one
paper's `paper.md` EDITS times, rebuilding after each, and prints each rebuild's wall time and the
time of each stage (`mirror build --timings`). The edited file is restored at the end.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import mirror_site.preview
from mirror_site.build import BuildOptions, BuildResult, build
from mirror_site.preview import Preview


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("journal", type=Path)
    parser.add_argument("--edits", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=0)
    args = parser.parse_args()
    laps: list[tuple[tuple[str, float], ...]] = []

    def timed(options: BuildOptions) -> BuildResult:
        result = build(options)
        laps.append(result.timings)
        return result

    mirror_site.preview.build = timed  # type: ignore[assignment] # to read each rebuild's stage timings
    with tempfile.TemporaryDirectory(prefix="mirror-serve-bench-") as work:
        preview = Preview(args.journal.resolve(), Path(work), print, jobs=args.jobs)
        started = time.perf_counter()
        preview.rebuild()
        print(f"first build: {time.perf_counter() - started:.2f} s", flush=True)
        folders = sorted((args.journal / "papers").iterdir())
        paper = folders[len(folders) // 2] / "paper.md"
        original = paper.read_bytes()
        try:
            for edit in range(args.edits):
                paper.write_bytes(original + f"\n\nBenchmark edit {edit}.\n".encode())
                preview.changed(paper.relative_to(args.journal).as_posix())
                started = time.perf_counter()
                preview.rebuild()
                stages = ", ".join(f"{name} {seconds:.2f}" for name, seconds in laps[-1] if seconds >= 0.01)
                print(f"rebuild {edit + 1}: {time.perf_counter() - started:.2f} s ({stages})", flush=True)
        finally:
            paper.write_bytes(original)
            preview.close()


if __name__ == "__main__":
    main()
