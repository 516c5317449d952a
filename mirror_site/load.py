"""Stage 1, load: find `papers/<slug>/paper.md`, decode it, split and parse its front matter."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

from . import front_matter
from .config import Config
from .diagnostics import Diagnostic, error
from .model import SourcePaper


def decode(raw: bytes, path: str) -> str | Diagnostic:
    """UTF-8 (a BOM is fine) with LF line endings; anything else is a diagnostic naming the byte."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return error(path, 1, 1, "encoding", "the file is UTF-16 or UTF-32; only UTF-8 is supported",
                     "re-encode the file as UTF-8")
    nul = raw.find(b"\0")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        col = nul - (raw.rfind(b"\n", 0, nul) + 1) + 1
        return error(path, line, col, "encoding", "the file contains a NUL byte: it is binary, not text",
                     "paper.md must be a UTF-8 text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = raw.count(b"\n", 0, start) + 1
        col = start - (raw.rfind(b"\n", 0, start) + 1) + 1
        return error(path, line, col, "encoding",
                     f"byte 0x{raw[start]:02x} is not valid UTF-8",
                     "re-encode the file as UTF-8 (it looks like Windows-1252 or Latin-1)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_paper(folder: Path, root: Path, config: Config) -> SourcePaper | Diagnostic:
    """Read one paper folder. Pure apart from reading `folder/paper.md`."""
    slug = folder.name
    path = f"papers/{slug}/paper.md"
    file = folder / "paper.md"
    if file.is_symlink() or not file.is_file():
        return error(path, 0, 0, "paper-missing", "the paper folder has no regular file `paper.md`",
                     "create it with `mirror new SLUG`, or remove the folder")
    size = file.stat().st_size
    if size > config.limits.max_paper_bytes:
        return error(path, 1, 1, "paper-too-large",
                     f"paper.md is {size} bytes, over the limit of {config.limits.max_paper_bytes}",
                     "split the paper or raise `limits.max_paper_bytes` in mirror.toml")
    raw = file.read_bytes()
    text = decode(raw, path)
    if isinstance(text, Diagnostic):
        return text
    split = front_matter.split(text, path)
    if isinstance(split, Diagnostic):
        return split
    parsed = front_matter.parse(split, path, config.limits.max_front_matter_bytes)
    if isinstance(parsed, Diagnostic):
        return parsed
    return SourcePaper(slug=slug, folder=folder, path=path, front=parsed.data, positions=parsed.positions,
                       body=split.body, body_line=split.body_line, source=text,
                       sha256=hashlib.sha256(raw).hexdigest())


def paper_folders(root: Path, only: frozenset[str] | None = None) -> list[Path]:
    """Every entry of `papers/` that claims to be a paper (or only those named in `only`):
    directories (symlinked ones included, so that they can be refused), sorted by name for determinism."""
    papers = root / "papers"
    if not papers.is_dir():
        return []
    return sorted((p for p in papers.iterdir() if (p.is_dir() or p.is_symlink()) and (only is None or p.name in only)),
                  key=lambda p: p.name)
