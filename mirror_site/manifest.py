"""The manifest of a written site: every file's SHA-256 and size, and for each group of outputs the
fingerprint of what it was made from and the files it made. It is kept beside the output folder
(`.site.manifest.json` for `site/`), never inside it, so it is not published.

A manifest describes one folder: it records the folder's inode, and is believed only while the
folder at that path is that same folder. A build killed between renaming a new site into place
and writing its manifest thus leaves a manifest that no longer matches, and the next build simply
writes every file again instead of trusting stale hashes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1


@dataclass
class Manifest:
    files: dict[str, tuple[str, int]] = field(default_factory=dict)  #: path → (sha256, size)
    groups: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  #: name → (key, paths)
    facts: dict[str, Any] = field(default_factory=dict)  #: small values outputs keep between builds

    def group(self, name: str, key: str) -> tuple[str, ...] | None:
        """The files of group `name` when it was made from `key`, and all of them are listed."""
        found = self.groups.get(name)
        if not key or found is None or found[0] != key or any(path not in self.files for path in found[1]):
            return None
        return found[1]


def manifest_path(out: Path, suffix: str = "") -> Path:
    return out.parent / f".{out.name}.manifest.json{suffix}"


def _identity(folder: Path) -> list[int] | None:
    try:
        stat = os.stat(folder, follow_symlinks=False)
    except OSError:
        return None
    return [stat.st_dev, stat.st_ino]


def read_manifest(path: Path, folder: Path) -> Manifest | None:
    """The manifest at `path` if it describes `folder` as it is now, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("folder") != _identity(folder):
            return None
        return Manifest({p: (str(v[0]), int(v[1])) for p, v in data["files"].items()},
                        {n: (str(v[0]), tuple(v[1])) for n, v in data["groups"].items()}, dict(data.get("facts", {})))
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def write_manifest(path: Path, folder: Path, manifest: Manifest) -> None:
    """Write atomically: a reader finds the old manifest or the new one, never a mix."""
    document = {"format": FORMAT, "folder": _identity(folder), "files": manifest.files,
                "groups": {name: [key, list(paths)] for name, (key, paths) in manifest.groups.items()},
                "facts": manifest.facts}
    temporary = path.with_name(path.name + f".tmp-{os.getpid()}")
    temporary.write_text(json.dumps(document, separators=(",", ":"), sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)
