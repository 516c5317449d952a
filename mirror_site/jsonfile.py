"""Deterministic JSON encoding for every JSON output: the same value always gives the same bytes."""

from __future__ import annotations

import json
from typing import Any


class Compact(str):
    """A row already encoded by `compact`: `mirror serve` keeps each paper's row of the corpus index
    between builds (memo.py) rather than encoding 10,000 of them again."""


def compact(value: Any) -> Compact:
    # Without `indent`, the json module encodes in C: ten times faster on the journal-wide files.
    return Compact(json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")))


def dumps(value: dict[str, Any] | list[Any], rows: str = "") -> bytes:
    """A JSON document: sorted keys, no NaN or Infinity, UTF-8, one space indent, trailing newline.

    `rows` names a top-level list written one compact item per line instead (the papers of the
    corpus index, its events): as easy to scan and to diff, and fast to write at 100,000 papers.
    Its items may come encoded already (`Compact`)."""
    if not rows or not isinstance(value, dict) or not value:
        return (_indented(value) + "\n").encode("utf-8")
    members = []
    for key in sorted(value):
        if key == rows:
            items = ",\n".join("  " + (item if isinstance(item, Compact) else compact(item)) for item in value[key])
            encoded = "[\n" + items + "\n ]" if items else "[]"
        else:  # as `json.dumps(indent=1)` writes it one level down (encoded strings hold no newline)
            encoded = _indented(value[key]).replace("\n", "\n ")
        members.append(f" {json.dumps(key, ensure_ascii=False)}: {encoded}")
    return ("{\n" + ",\n".join(members) + "\n}\n").encode("utf-8")


def _indented(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, indent=1)


def dumps_line(value: Any) -> bytes:
    """One JSON Lines record: as `dumps`, but compact and on one line (JSON escapes every newline)."""
    return (compact(value) + "\n").encode("utf-8")
