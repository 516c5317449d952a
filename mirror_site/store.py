"""The build cache: a content-addressed folder of values, `.mirror-cache/` inside the journal root.

Git ignores the folder, so a fresh clone builds from scratch. Entries are named by the fingerprint
of everything that produced them (fingerprint.py), so an entry is never updated, only added: two
builds sharing the folder can only ever write the same bytes under the same name. Each entry is
written to a temporary file and renamed into place (a reader never sees half an entry) and starts
with a checksum of its payload: a damaged entry reads as missing and is written again.

Values are pickled. The cache is trusted like the journal's own files: it is written only by Mirror,
on this machine, and never committed.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

CACHE_DIR = ".mirror-cache"
LAYOUT = "v1"  #: bumped when the folder layout changes; older layouts are simply ignored
_CHECK = 16  #: bytes of SHA-256 checksum in front of every payload
KEEP_SECONDS = 3600  #: `prune` never deletes an entry younger than this: a concurrent build may need it


class StoreFailed(Exception):
    """The cache folder cannot be written (disk full, read-only): the build cannot keep its bodies."""


class Store:
    """Values by kind and key: `<folder>/v1/<kind>/<key[:2]>/<key>`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.base = folder / LAYOUT

    def path(self, kind: str, key: str) -> Path:
        return self.base / kind / key[:2] / key

    def read(self, kind: str, key: str) -> bytes | None:
        try:
            data = self.path(kind, key).read_bytes()
        except OSError:
            return None
        payload = data[_CHECK:]
        if len(data) < _CHECK or hashlib.sha256(payload).digest()[:_CHECK] != data[:_CHECK]:
            return None  # damaged (a crash of the disk, an edit by hand): recomputed and rewritten
        return payload

    def write(self, kind: str, key: str, payload: bytes) -> None:
        target = self.path(kind, key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(hashlib.sha256(payload).digest()[:_CHECK])
                    out.write(payload)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreFailed(f"cannot write the build cache {self.folder}: {exc}") from exc

    def load(self, kind: str, key: str) -> Any:
        """The value stored under `key`, or None when there is none (or it cannot be read back)."""
        payload = self.read(kind, key)
        if payload is None:
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # noqa: BLE001 - a damaged or foreign entry is a miss, never a crash
            return None

    def save(self, kind: str, key: str, value: Any) -> None:
        self.write(kind, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def has(self, kind: str, key: str) -> bool:
        return self.path(kind, key).is_file()

    def tidy(self, used: set[tuple[str, str]]) -> int:
        """Delete the entries this build did not use, at most once an hour (listing the folder
        costs time) and never one younger than `KEEP_SECONDS` (another build may be using it);
        return how many went. Called after a complete build, so `used` is all a build needs."""
        marker = self.base / ".tidied"
        now = time.time()
        try:
            if now - marker.stat().st_mtime < KEEP_SECONDS:  # an age, not a content comparison
                return 0
        except OSError:
            pass
        gone = 0
        for path in self.base.glob("*/*/*"):
            if path.name.startswith(".") or (path.parent.parent.name, path.name) in used:
                continue
            try:
                if now - path.stat().st_mtime > KEEP_SECONDS:
                    path.unlink()
                    gone += 1
            except OSError:
                pass
        marker.touch()
        return gone


def open_store(root: Path) -> tuple[Store, Path | None]:
    """The journal's cache; when the journal cannot be written to (a read-only checkout), a
    temporary one, returned second so that the caller deletes it after the build."""
    folder = root / CACHE_DIR
    try:
        (folder / LAYOUT).mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder / LAYOUT, prefix=".probe-")
        probe.close()
        return Store(folder), None
    except OSError:
        temporary = Path(tempfile.mkdtemp(prefix="mirror-cache-"))
        return Store(temporary), temporary


def discard(temporary: Path | None) -> None:
    if temporary is not None:
        shutil.rmtree(temporary, ignore_errors=True)
