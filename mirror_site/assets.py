"""Output: files copied as they are: the site's static assets, each paper's referenced figures
and its Markdown source (the "markdown twin")."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .assemble import Site
from .model import OutputFile
from .urls import paper_dir


def static_files(static: Path) -> Iterator[OutputFile]:
    """Everything under `static/`, published under `/assets/`. Symlinks are skipped: the
    journal's own files only."""
    if not static.is_dir():
        return
    for file in sorted(static.rglob("*")):
        if file.is_file() and not file.is_symlink() and not any(p.startswith(".") for p in file.relative_to(static).parts):
            yield OutputFile("assets/" + file.relative_to(static).as_posix(), source=file)


def paper_files(site: Site) -> Iterator[OutputFile]:
    """Only the figures a paper's body references (checked to lie inside its folder), and its source."""
    for entry in site.papers:
        base = paper_dir(entry.paper.slug)
        yield OutputFile(base + "paper.md", entry.paper.source.source.encode("utf-8"))
        for figure in entry.body.figures:
            yield OutputFile(base + figure.relpath, source=entry.paper.source.folder / figure.relpath)
