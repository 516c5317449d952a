"""Versions: frozen sources of earlier versions, verified by their recorded SHA-256, and
`mirror freeze` to start a new version. A published version can never be edited silently."""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path

from . import front_matter
from .config import Config
from .diagnostics import Diagnostic, error
from .load import decode
from .model import SourcePaper


def frozen_path(version: int) -> str:
    return f"versions/v{version}.md"


def _sha256(file: Path) -> str:
    with open(file, "rb") as handle:  # streamed: a huge file costs time, not memory
        return hashlib.file_digest(handle, "sha256").hexdigest()


def verify(source: SourcePaper, changes: list[dict[str, object]]) -> list[Diagnostic]:
    """Every `changes` entry names the frozen file of the version it superseded and its hash."""
    problems = []
    for index, change in enumerate(changes):
        relpath = frozen_path(int(str(change["version"])) - 1)
        file = source.folder / relpath
        line, col = source.positions.of(("changes", index, "sha256"))
        shown = f"papers/{source.slug}/{relpath}"
        if file.is_symlink() or not file.is_file() or not file.resolve().is_relative_to(source.folder.resolve()):
            problems.append(error(source.path, line, col, "version-missing", f"{shown} is missing",
                                  "restore the frozen file; `mirror freeze` writes it"))
        elif _sha256(file) != change["sha256"]:
            problems.append(error(shown, 1, 1, "version-tampered",
                                  f"{shown} does not match the sha256 recorded in papers/{source.slug}/paper.md:{line}",
                                  "a published version cannot change: restore the original file"))
    return problems


def load_frozen(source: SourcePaper, version: int, config: Config) -> SourcePaper | Diagnostic:
    """An earlier version as a paper of its own, read from its frozen file."""
    relpath = frozen_path(version)
    path = f"papers/{source.slug}/{relpath}"
    size = (source.folder / relpath).stat().st_size
    if size > config.limits.max_paper_bytes:
        return error(path, 1, 1, "paper-too-large", f"the frozen version is {size} bytes, over the limit of "
                     f"{config.limits.max_paper_bytes}", "raise `limits.max_paper_bytes` in mirror.toml")
    raw = (source.folder / relpath).read_bytes()
    text = decode(raw, path)
    if isinstance(text, Diagnostic):
        return text
    split = front_matter.split(text, path)
    if isinstance(split, Diagnostic):
        return split
    parsed = front_matter.parse(split, path, config.limits.max_front_matter_bytes)
    if isinstance(parsed, Diagnostic):
        return parsed
    return SourcePaper(slug=source.slug, folder=source.folder, path=path, front=parsed.data, positions=parsed.positions,
                       body=split.body, body_line=split.body_line, source=text, sha256=hashlib.sha256(raw).hexdigest())


def freeze(folder: Path, kind: str, summary: str, today: datetime.date) -> str:
    """Copy paper.md to versions/vN.md and open version N+1 with its `changes` entry.
    Returns an error message, or '' on success. The front matter is edited as text so that the
    author's layout and comments survive."""
    paper = folder / "paper.md"
    raw = paper.read_bytes()
    text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    lines = text.split("\n")
    try:
        end = next(i for i in range(1, len(lines)) if re.fullmatch(r"(---|\.\.\.)\s*", lines[i]))
    except StopIteration:
        return "paper.md has no closing front-matter fence"
    match = next((re.match(r"version:\s*(\d+)\s*$", line) for line in lines[1:end] if line.startswith("version:")), None)
    current = int(match[1]) if match else 1
    target = folder / frozen_path(current)
    if target.exists():
        return f"{target} already exists"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(raw)
    entry = [f"  - version: {current + 1}", f"    date: {today.isoformat()}", f"    kind: {kind}",
             f"    summary: {_quoted(summary)}", f"    sha256: {hashlib.sha256(raw).hexdigest()}"]
    front = lines[1:end]
    if match:
        front = [f"version: {current + 1}" if line.startswith("version:") else line for line in front]
    else:
        front.append(f"version: {current + 1}")
    if any(line.startswith("changes:") for line in front):
        start = next(i for i, line in enumerate(front) if line.startswith("changes:"))
        stop = next((i for i in range(start + 1, len(front)) if front[i] and not front[i].startswith((" ", "-"))), len(front))
        front[stop:stop] = entry
    else:
        front += ["changes:"] + entry
    paper.write_text("\n".join([lines[0], *front, *lines[end:]]), encoding="utf-8")
    return ""


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
