"""Stage 5, write: the only code that touches the output directory.

The new site is staged in a sibling folder (same filesystem, so renames are atomic and never
cross devices), file by file as the outputs are made (stage.py), then swapped in with two renames.
A build killed at any point leaves either the old site or the new one in place; the next build
removes leftovers and, if a kill fell between the two renames, puts the previous site back first.

Beside `site/` live `.site.lock`, `.site.manifest` (the hashes of what `site/` holds) and
`.site.spare/`, the site before the current one with its own manifest. The spare becomes the next
stage: only the files that differ are replaced, instead of a whole tree being made and the old one
deleted — on many disks, deleting ten thousand folders takes longer than building the pages.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from .manifest import Manifest, manifest_file, read_manifest, write_manifest
from .model import OutputFile
from .stage import Claims, Collision, Stage, WriteFailed, folders_holding, safe_relpath

__all__ = ["Collision", "Made", "Reused", "WriteFailed", "count", "output_lock", "previous_site", "publish", "recover",
           "safe_relpath"]


@dataclass(frozen=True)
class Made:
    """A group of outputs made by this build."""

    name: str
    key: str
    files: Iterable[OutputFile]
    facts: tuple[tuple[str, str, object], ...] = ()  #: (table, key, value) to remember in the manifest


@dataclass(frozen=True)
class Reused:
    """A group whose inputs did not change: its files are the previous site's."""

    name: str
    key: str
    paths: tuple[str, ...]
    facts: tuple[tuple[str, str, object], ...] = ()  #: as `Made.facts`: what the next build must still know


def _sibling(out: Path, tag: str) -> Path:
    return out.parent / f".{out.name}.{tag}"


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock beside `out` so that two builds never write at once."""
    lock_path = _sibling(out, "lock")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+b")  # closed by the `with` below
    except OSError as exc:  # e.g. a read-only parent folder: a failed build, not a traceback
        raise WriteFailed(f"cannot create the lock file {lock_path}: {exc.strerror or exc}") from exc
    with handle:
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
        latest = parked.pop()
        try:
            os.rename(latest, out)
        except OSError as exc:
            raise WriteFailed(f"cannot restore the previous site from {latest}: {exc}") from exc
    for leftover in parked + sorted(out.parent.glob(f".{out.name}.staging-*")):
        _remove(leftover)
    new = out.parent / (manifest_file(out).name + ".new")
    if new.exists():  # a kill after the swap, before the manifest was renamed: keep it if it is out's
        if read_manifest(new, out) is not None:
            os.replace(new, manifest_file(out))
        else:
            new.unlink(missing_ok=True)


def _remove(folder: Path) -> None:
    """Delete a folder Mirror wrote, even one whose sub-folders were made read-only since (the parked
    previous site of a read-only output folder): what cannot be deleted is left for the next `recover`."""
    if folder.is_dir() and not folder.is_symlink():
        with suppress(OSError):
            os.chmod(folder, 0o700)
        for path, dirs, _ in os.walk(folder):  # top-down: a folder is made writable before it is entered
            for name in dirs:
                child = os.path.join(path, name)
                if not os.path.islink(child):
                    with suppress(OSError):
                        os.chmod(child, 0o700)
    shutil.rmtree(folder, ignore_errors=True)
    manifest_file(folder).unlink(missing_ok=True)


def previous_site(folder: Path) -> Manifest | None:
    """The manifest of the site in `folder`, when one describes it as it is."""
    return read_manifest(manifest_file(folder), folder) if folder.is_dir() else None


def link_copy(site: Path, copy: Path) -> bool:
    """Make `copy` a hard-linked copy of the Mirror site in `site`, with its own manifest, for a
    build to recycle as its spare (`mirror serve` after its first build). False, and nothing made,
    when `site` has no manifest that describes it."""
    manifest = previous_site(site)
    if manifest is None:
        return False
    copy.mkdir(parents=True)
    stage = Stage(copy, {}, site, manifest.files)
    for path in manifest.files:
        stage.reuse(path)
    write_manifest(manifest_file(copy), copy, Manifest(files=stage.finish().files))
    return True


def _writable(folder: Path, files: Iterable[str]) -> bool:
    """Every folder of a recycled tree must take new entries (a deploy may have made the old site
    read-only). Its folders are known from its manifest's files: no need to walk the tree."""
    return all(os.access(os.path.join(folder, name), os.W_OK | os.X_OK) for name in folders_holding(files))


def _open_stage(out: Path) -> tuple[Path, dict[str, tuple[str, int]]]:
    """The stage, made from the spare when it is intact (and what it holds), else a new empty folder."""
    stage, spare = _sibling(out, f"staging-{os.getpid()}"), _sibling(out, "spare")
    shutil.rmtree(stage, ignore_errors=True)
    held = previous_site(spare)
    if held is not None and _writable(spare, held.files):
        os.rename(spare, stage)
        manifest_file(spare).unlink(missing_ok=True)
        return stage, held.files
    if spare.exists():
        _remove(spare)
    stage.mkdir(parents=True)
    return stage, {}


def _keep_as_spare(out: Path, stage: Path, held: dict[str, tuple[str, int]]) -> None:
    """A stage abandoned after a failure is still a folder whose contents are known exactly: it
    becomes the spare instead of being deleted (which would cost longer than the build)."""
    spare = _sibling(out, "spare")
    try:
        if spare.exists():
            _remove(spare)
        os.rename(stage, spare)
        write_manifest(manifest_file(spare), spare, Manifest(files=held))
    except OSError:
        _remove(stage)
        _remove(spare)


def count(items: Iterable[Made | Reused]) -> int:
    """`mirror check`: make every output (template faults and collisions show) and write nothing."""
    claims, total = Claims(), 0
    for item in items:
        for path in item.paths if isinstance(item, Reused) else (f.path for f in item.files):
            claims.claim(path)
            total += 1
    return total


def publish(out: Path, items: Iterable[Made | Reused], is_previous_build: bool, previous: Manifest | None,
            reuse_from: Path | None = None) -> int:
    """Write `items` as the new content of `out`; return how many files the site has.

    `is_previous_build` says `out` holds a Mirror site (or nothing): Mirror never deletes a folder
    it did not write. `previous` is the manifest of `reuse_from` (default `out`), the site whose
    unchanged files are hard-linked instead of written again.
    """
    if out.exists() and any(out.iterdir()) and not is_previous_build:
        raise WriteFailed(f"{out} is not empty and holds no previous Mirror build; "
                          "refusing to replace it (choose another --out or empty it)")
    source = (reuse_from or out) if previous is not None else None
    parked = _sibling(out, f"old-{os.getpid()}")
    stage_path: Path | None = None
    stage: Stage | None = None
    try:
        stage_path, held = _open_stage(out)
        stage = Stage(stage_path, held, source, previous.files if previous else {})
        for item in items:
            if isinstance(item, Reused):
                for path in item.paths:
                    stage.reuse(path)
            else:
                paths = []
                for file in item.files:
                    stage.put(file)
                    paths.append(file.path)
            for table, key, value in item.facts:
                stage.made.facts.setdefault(table, {})[key] = value
            stage.made.groups[item.name] = (item.key, tuple(item.paths) if isinstance(item, Reused) else tuple(paths))
        made = stage.finish()
        new_manifest = out.parent / (manifest_file(out).name + ".new")
        write_manifest(new_manifest, stage_path, made)
        if out.exists():
            os.rename(out, parked)
        os.rename(stage_path, out)
        stage_path = None
        _park_as_spare(out, parked)
        os.replace(new_manifest, manifest_file(out))
        return len(made.files)
    except OSError as exc:
        _undo(out, stage_path, stage, parked)
        raise WriteFailed(f"could not write the site: {exc}") from exc
    except BaseException:  # Ctrl-C included, and collisions and template faults
        _undo(out, stage_path, stage, parked)
        raise


def _park_as_spare(out: Path, parked: Path) -> None:
    """The site just replaced becomes the spare, with its manifest (when it has a valid one)."""
    if not parked.exists():
        return
    spare = _sibling(out, "spare")
    manifest = read_manifest(manifest_file(out), parked)  # still names `out`'s old manifest file
    if manifest is None or not os.access(parked, os.W_OK):
        _remove(parked)
        return
    if spare.exists():
        _remove(spare)
    os.rename(parked, spare)
    os.replace(manifest_file(out), manifest_file(spare))


def _undo(out: Path, stage_path: Path | None, stage: Stage | None, parked: Path) -> None:
    """After a failure: if it came between the two renames, put the previous site back (first: that
    is what matters), then keep the stage as the spare when its contents are known, else delete it."""
    if parked.exists() and not out.exists():
        with suppress(OSError):  # else the next build's `recover` puts it back
            os.rename(parked, out)
    (out.parent / (manifest_file(out).name + ".new")).unlink(missing_ok=True)
    if stage_path is not None and stage_path.exists():
        try:
            if stage is not None and stage.consistent:
                _keep_as_spare(out, stage_path, stage.held)
                return
        except BaseException:  # noqa: BLE001 - a second interruption: fall back to deleting
            pass
        _remove(stage_path)
