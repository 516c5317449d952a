"""Content fingerprints: the hashes that key the build cache and decide which outputs are unchanged.

A fingerprint is the SHA-256 of a canonical encoding of values (never of `repr` or `pickle`, whose
bytes may vary with dict order or Python version), of file contents (never of modification times),
and of the engine itself, so that a new Mirror never reuses what an older one computed.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from functools import cache
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any

#: Libraries whose output ends up in the site: a new version of any of them must invalidate the cache.
LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "pygments", "latex2mathml", "bibtexparser", "pylatexenc", "jinja2",
             "pyyaml", "markupsafe")
PACKAGE = Path(__file__).resolve().parent


def _encode(value: Any, out: list[bytes]) -> None:
    """Type-tagged, length-prefixed, so that no two different values share an encoding."""
    kind: Any = type(value)
    if kind is str:  # the commonest cases first, by exact type: a rebuild encodes ~500,000 values at 10,000 papers
        data = value.encode("utf-8", "surrogatepass")
        out.append(b"s%d:" % len(data) + data)
    elif kind is tuple or kind is list:
        out.append(b"l%d:" % len(value))
        for item in value:
            _encode(item, out)
    elif value is None or isinstance(value, bool):
        out.append(b"N" if value is None else b"T" if value else b"F")
    elif isinstance(value, int):
        out.append(b"i%d;" % value)
    elif isinstance(value, float):
        out.append(b"f" + value.hex().encode() + b";")
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        out.append(b"s%d:" % len(data) + data)
    elif isinstance(value, bytes):
        out.append(b"b%d:" % len(value) + value)
    elif isinstance(value, PurePath):
        _encode(("path", value.as_posix()), out)
    elif isinstance(value, (list, tuple)):
        out.append(b"l%d:" % len(value))
        for item in value:
            _encode(item, out)
    elif isinstance(value, (set, frozenset)):
        members = sorted(_encoded(item) for item in value)  # sorted by encoding: independent of hash order
        out.append(b"e%d:" % len(members) + b"".join(members))
    elif isinstance(value, dict):
        items = sorted((_encoded(key), _encoded(item)) for key, item in value.items())
        out.append(b"d%d:" % len(items) + b"".join(k + v for k, v in items))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        out.append(b"c" + kind.__qualname__.encode() + b":")
        _encode([getattr(value, name) for name in _field_names(kind)], out)
    else:
        raise TypeError(f"cannot fingerprint a {type(value).__name__}")


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def _encoded(value: Any) -> bytes:
    parts: list[bytes] = []
    _encode(value, parts)
    return b"".join(parts)


def fingerprint(*values: Any) -> str:
    """Hex SHA-256 of the canonical encoding of `values`."""
    return hashlib.sha256(_encoded(values)).hexdigest()


def file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def tree_digests(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (relative POSIX path → what it is): `f:<sha256>` for a file,
    `l:<target>` for a symbolic link (never followed), `d` for a folder, `?` for anything else.
    Hidden entries are included: a change anywhere in the folder is a change."""
    found: dict[str, str] = {}

    def walk(current: Path, prefix: str) -> None:
        with os.scandir(current) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                name = prefix + entry.name
                if entry.is_symlink():
                    found[name] = "l:" + os.readlink(entry.path)
                elif entry.is_dir():
                    found[name] = "d"
                    walk(Path(entry.path), name + "/")
                elif entry.is_file():
                    found[name] = "f:" + file_digest(Path(entry.path))
                else:
                    found[name] = "?"

    walk(folder, "")
    return found


@functools.lru_cache(maxsize=16)
def settings_key(value: Any) -> str:
    """The fingerprint of a frozen settings value (the configuration, the render options), computed
    once per process: keys of every paper include it."""
    return fingerprint(value)


@cache
def engine_version() -> str:
    """Fingerprint of Mirror's own source files and the versions of the libraries that shape its
    output. Computed once per process: the package does not change under a running build."""
    sources = sorted((p.relative_to(PACKAGE).as_posix(), file_digest(p)) for p in PACKAGE.rglob("*.py"))
    versions = []
    for name in LIBRARIES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, ""))
    return fingerprint("mirror-engine", sources, versions)
