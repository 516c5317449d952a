"""Diagnostics as values: every problem Mirror finds is a `Diagnostic`, collected, sorted, printed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, anchored to a place in a source file."""

    path: str  #: file path relative to the journal root, with forward slashes
    line: int  #: 1-based line (0 when the problem concerns the whole file)
    col: int  #: 1-based column (0 when unknown)
    code: str  #: stable identifier, documented in docs/diagnostics.md
    level: Level
    message: str  #: what is wrong
    hint: str = ""  #: how to fix it

    def format(self, color: bool = False) -> str:
        where = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        level: str = self.level
        if color:
            level = ("\033[1;31m" if level == "error" else "\033[1;33m") + level + "\033[0m"
        text = f"{where}: {level}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def error(path: str, line: int, col: int, code: str, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(path, line, col, code, "error", message, hint)


def warning(path: str, line: int, col: int, code: str, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(path, line, col, code, "warning", message, hint)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level == "error" for d in diagnostics)


def to_json(diagnostics: Iterable[Diagnostic], **summary: object) -> str:
    """The machine-readable report printed by `--format json`."""
    items = [asdict(d) for d in sorted(diagnostics)]
    return json.dumps({"diagnostics": items, **summary}, indent=2, sort_keys=True, ensure_ascii=False)
