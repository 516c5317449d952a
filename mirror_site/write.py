"""Stage 5, write: the only code that touches the output directory.

The new site is staged in a sibling folder (same filesystem, so renames are atomic and never
cross devices), then swapped in with two renames. A build killed at any point leaves either the
old site or the new one in place; the next build removes leftovers and, if a kill fell between
the two renames, puts the previous site back first.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .model import OutputFile


class WriteFailed(Exception):
    """The site could not be written; the previous site is untouched."""


def _sibling(out: Path, tag: str) -> Path:
    return out.parent / f".{out.name}.{tag}"


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock beside `out` so that two builds never write at once."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = _sibling(out, "lock")
    with open(lock_path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise WriteFailed(f"another mirror build is writing to {out} (lock {lock_path}); "
                                  "wait for it to finish") from exc
            raise
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def recover(out: Path) -> None:
    """Undo what a killed build left: restore a site parked between the two renames, delete stages."""
    parked = sorted(out.parent.glob(f".{out.name}.old-*"))
    if parked and not out.exists():
        os.rename(parked.pop(), out)
    for leftover in parked + sorted(out.parent.glob(f".{out.name}.staging-*")):
        shutil.rmtree(leftover, ignore_errors=True)


def safe_relpath(path: str) -> PurePosixPath:
    """An output path must stay inside the output folder."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path or "\0" in path:
        raise WriteFailed(f"refusing to write outside the output folder: {path!r}")
    return pure


def _write_one(stage: Path, file: OutputFile) -> None:
    target = stage / safe_relpath(file.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if file.source is not None:
        shutil.copyfile(file.source, target, follow_symlinks=False)
    else:
        with open(target, "wb") as handle:
            handle.write(file.data)


def publish(out: Path, files: Iterable[OutputFile], is_previous_build: bool) -> int:
    """Write `files` as the new content of `out`; return how many were written.

    `is_previous_build` says `out` holds a Mirror site (or nothing): Mirror never deletes a folder
    it did not write.
    """
    if out.exists() and any(out.iterdir()) and not is_previous_build:
        raise WriteFailed(f"{out} is not empty and holds no previous Mirror build; "
                          "refusing to replace it (choose another --out or empty it)")
    stage = _sibling(out, f"staging-{os.getpid()}")
    count = 0
    try:
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
        for file in files:
            _write_one(stage, file)
            count += 1
        parked = _sibling(out, f"old-{os.getpid()}")
        if out.exists():
            os.rename(out, parked)
        os.rename(stage, out)
        shutil.rmtree(parked, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise WriteFailed(f"could not write the site: {exc}") from exc
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return count
