"""The folder a new site is written into, file by file, as the outputs are made.

A stage starts empty, or from the site before the previous one (the "spare", see write.py), whose
contents its manifest lists exactly. Each output is then put in place the cheapest way: kept when
the stage already holds those bytes, hard-linked from the previous site when that holds them, and
written otherwise. Files are never rewritten in place (a hard-linked file belongs to two sites at
once): a changed file is unlinked and created anew. The stage keeps an exact account of what it
holds, so that even an abandoned stage can serve as the next build's spare.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from .fingerprint import file_digest
from .manifest import Manifest
from .model import OutputFile


class WriteFailed(Exception):
    """The site could not be written; the previous site is untouched."""


class Collision(WriteFailed):
    """Two outputs claim the same path (compared without case, as some file systems do)."""


def safe_relpath(path: str) -> str:
    """An output path must stay inside the output folder. (String operations, not `PurePosixPath`:
    this runs for each of the site's files, 80,000 at 10,000 papers.)"""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if path.startswith("/") or ".." in parts or not parts or "\\" in path or "\0" in path:
        raise WriteFailed(f"refusing to write outside the output folder: {path!r}")
    return path


def _folders_of(path: str) -> list[str]:
    """The folders a file path is in: `a/b/c.html` → `a`, `a/b`."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def folders_holding(paths: Iterable[str]) -> set[str]:
    """Every folder the files at `paths` are in, with the folders above them ("." is the top)."""
    found = {"."}
    for folder in {path.rpartition("/")[0] for path in paths}:
        while folder and folder not in found:  # a folder found earlier came with the folders above it
            found.add(folder)
            folder = folder.rpartition("/")[0]
    return found


class Claims:
    """The paths claimed so far: a second claim of the same path (ignoring case) is a collision."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def claim(self, path: str) -> None:
        safe_relpath(path)
        folded = path.casefold()
        if folded in self._seen:
            raise Collision(f"two outputs would be written to the same path: {folded}")
        self._seen.add(folded)


class Stage:
    """A folder being filled with a site; `held` is what it holds now, file by file."""

    def __init__(self, folder: Path, held: dict[str, tuple[str, int]], previous: Path | None,
                 previous_files: dict[str, tuple[str, int]]) -> None:
        self.folder = folder
        self.held = dict(held)
        self.previous = previous
        self.previous_files = previous_files
        self.made = Manifest()
        self.claims = Claims()
        self.written = self.linked = self.kept = 0
        #: False while a file is being replaced: a stage interrupted then holds something unknown
        self.consistent = True
        self._folders = folders_holding(held)

    # --- putting files
    def put(self, file: OutputFile) -> None:
        if file.source is not None:
            self._place(file.path, file_digest(file.source), file.source.stat().st_size, file.source, None)
        else:
            self._place(file.path, hashlib.sha256(file.data).hexdigest(), len(file.data), None, file.data)

    def reuse(self, path: str) -> None:
        """Put the previous site's file at `path`, as the previous manifest describes it."""
        sha, size = self.previous_files[path]
        self._place(path, sha, size, None, None)

    def _place(self, path: str, sha: str, size: int, source: Path | None, data: bytes | None) -> None:
        self.claims.claim(path)
        self.made.files[path] = (sha, size)
        if self.held.get(path) == (sha, size):
            self.kept += 1
            return
        target = self.folder / path
        self.consistent = False
        self._make_room(path, target)
        if self.previous is not None and self.previous_files.get(path) == (sha, size) and self._link(path, target):
            self.linked += 1
        elif data is not None:
            with open(target, "xb") as handle:  # "x": a new file, never an old one overwritten
                handle.write(data)
            self.written += 1
        else:
            origin = source if source is not None else self.previous / path if self.previous else None
            if origin is None:
                raise WriteFailed(f"nothing to write at {path}")
            shutil.copyfile(origin, target, follow_symlinks=False)
            self.written += 1
        self.held[path] = (sha, size)
        self.consistent = True

    def _link(self, path: str, target: Path) -> bool:
        assert self.previous is not None
        try:
            os.link(self.previous / path, target, follow_symlinks=False)
            return True
        except OSError as exc:  # another file system, no hard links there, a file deleted by hand
            if exc.errno in (errno.EEXIST,):
                raise
            return False

    def _make_room(self, path: str, target: Path) -> None:
        """Remove what stands at `target` (an older file, or a folder where a file now goes) and
        make its parent folders (removing files that stand where a folder now goes)."""
        if path in self.held:
            target.unlink(missing_ok=True)
            del self.held[path]
        elif path in self._folders:
            self._remove_tree(path)
        parent = path.rpartition("/")[0] or "."
        if parent in self._folders:
            return
        folders = _folders_of(path)
        for prefix in folders:
            if prefix in self.held:
                (self.folder / prefix).unlink()
                del self.held[prefix]
        (self.folder / parent).mkdir(parents=True, exist_ok=True)
        self._folders.update(folders)

    def _remove_tree(self, path: str) -> None:
        shutil.rmtree(self.folder / path)
        for held in [p for p in self.held if p.startswith(path + "/")]:
            del self.held[held]
        self._folders = {f for f in self._folders if f != path and not f.startswith(path + "/")}

    # --- finishing
    def finish(self) -> Manifest:
        """Remove every file the new site does not have (and folders left empty); return its manifest."""
        self.consistent = False
        emptied: set[str] = set()
        for path in [p for p in self.held if p not in self.made.files]:
            (self.folder / path).unlink(missing_ok=True)
            del self.held[path]
            emptied.add(path.rpartition("/")[0])
        for folder in sorted(emptied, key=lambda f: f.count("/"), reverse=True):
            while folder not in ("", "."):
                try:
                    os.rmdir(self.folder / folder)
                except OSError:
                    break  # not empty: still used by the new site
                self._folders.discard(folder)
                folder = folder.rpartition("/")[0]
        self.consistent = True
        return self.made
