"""Deterministic JSON encoding for every JSON output: the same value always gives the same bytes."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> bytes:
    """A JSON document: sorted keys, no NaN or Infinity, UTF-8, one space indent, trailing newline."""
    return (json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, indent=1) + "\n").encode("utf-8")


def dumps_line(value: Any) -> bytes:
    """One JSON Lines record: as `dumps`, but compact and on one line (JSON escapes every newline)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")
