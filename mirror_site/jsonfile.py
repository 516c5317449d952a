"""Deterministic JSON encoding for every JSON output: the same value always gives the same bytes."""

from __future__ import annotations

import json
from typing import Any


class Compact(bytes):
    """A value already encoded by `compact`: `mirror serve` keeps each paper's rows of the corpus
    index and changes between builds (memo.py) rather than encoding 10,000 of them again."""


def compact(value: Any) -> Compact:
    """One line of UTF-8 JSON. Without `indent`, the json module encodes in C: ten times faster."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Compact(text.encode("utf-8"))


def dumps(value: dict[str, Any] | list[Any], rows: str = "") -> bytes:
    """A JSON document: sorted keys, no NaN or Infinity, UTF-8, one space indent, trailing newline.

    `rows` names a top-level list written one compact item per line instead (the papers of the
    corpus index, its events): as easy to scan and to diff, and fast to write at 100,000 papers.
    Its items may come encoded already (`Compact`). The rows are joined once, as bytes: the index
    is 33 MB at 10,000 papers, and each copy of it counts in a rebuild of `mirror serve`."""
    if not rows or not isinstance(value, dict) or not value:
        return (_indented(value) + "\n").encode("utf-8")
    parts: list[bytes] = []
    for key in sorted(value):
        parts.append(f"{',' if parts else '{'}\n {json.dumps(key, ensure_ascii=False)}: ".encode())
        if key == rows and value[key]:
            items = (item if isinstance(item, Compact) else compact(item) for item in value[key])
            parts += [b"[\n  ", b",\n  ".join(items), b"\n ]"]
        else:  # as `json.dumps(indent=1)` writes it one level down (encoded strings hold no newline)
            parts.append(_indented(value[key]).replace("\n", "\n ").encode("utf-8"))
    parts.append(b"\n}\n")
    return b"".join(parts)


def _indented(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, indent=1)


def dumps_line(value: Any) -> bytes:
    """One JSON Lines record: as `dumps`, but compact and on one line (JSON escapes every newline)."""
    return compact(value) + b"\n"
