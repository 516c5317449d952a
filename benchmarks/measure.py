"""Run a command and measure its whole process tree from /proc (Linux): wall time, CPU time (user +
system of every process of the tree, workers included) and peak memory (the largest sum of the
resident sets of the tree's processes at one moment, sampled every 20 ms). Standard library only.

A process pool's workers are not always waited for by the program that started them, so the CPU
time `getrusage` reports for a finished child can miss them; sampling the tree does not.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
INTERVAL = 0.02


@dataclass(frozen=True)
class Measure:
    wall: float  #: seconds
    cpu: float  #: seconds of user + system time, all processes of the tree
    system: float  #: the part of `cpu` spent in the kernel (file creation, page faults)
    peak_mib: float  #: the largest total resident set of the tree at one sample
    exit: int


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
    except OSError:
        pass
    return found


def _tree(root: int) -> list[int]:
    seen, todo = [], [root]
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo += _children(pid)
    return seen


def _sample(pid: int) -> tuple[float, float, int] | None:
    """(CPU seconds of the process itself, of which in the kernel, resident bytes), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/statm") as handle:
            resident = int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK, int(fields[12]) / TICK, resident  # utime, stime


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, log: Path | None = None) -> Measure:
    """Run `command` to completion and measure it."""
    out = open(log, "wb") if log else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    cpu: dict[int, float] = {}
    system: dict[int, float] = {}
    peak = 0
    while True:
        total = 0
        for pid in _tree(process.pid):
            sample = _sample(pid)
            if sample is not None:
                cpu[pid] = max(cpu.get(pid, 0.0), sample[0])
                system[pid] = max(system.get(pid, 0.0), sample[1])
                total += sample[2]
        peak = max(peak, total)
        if process.poll() is not None:
            break
        time.sleep(INTERVAL)
    wall = time.perf_counter() - started
    if log:
        out.close()  # type: ignore[union-attr]
    return Measure(wall, sum(cpu.values()), sum(system.values()), peak / 2**20, process.returncode or 0)
