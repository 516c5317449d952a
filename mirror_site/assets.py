"""Output: files copied as they are: the site's static assets, each paper's referenced figures
and its Markdown source (the "markdown twin")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .assemble import PublishedPaper
from .model import OutputFile
from .urls import paper_dir

#: Mirror's own static files, used for any the journal's `static/` does not provide.
DEFAULT_STATIC = Path(__file__).resolve().parent.parent / "static"


def static_files(static: Path) -> Iterator[OutputFile]:
    """Everything under `static/` (then Mirror's own), published under `/assets/`. Symlinks and
    hidden files are skipped: the journal's own files only."""
    found: dict[str, Path] = {}
    for folder in (DEFAULT_STATIC, static):
        if folder.is_dir():
            for file in folder.rglob("*"):
                relative = file.relative_to(folder)
                if file.is_file() and not file.is_symlink() and not any(p.startswith(".") for p in relative.parts):
                    found[relative.as_posix()] = file
    for name in sorted(found):
        yield OutputFile("assets/" + name, source=found[name])


def paper_files(entry: PublishedPaper) -> Iterator[OutputFile]:
    """A paper's source, the figures its body references (checked to lie inside its folder), the
    supplements it lists, and the same for each earlier version. A withdrawn paper keeps only its
    tombstone page: none of its files. `entry` must be complete (`Site.full`)."""
    if entry.paper.status == "withdrawn":
        return
    base = paper_dir(entry.paper.slug)
    folder = entry.paper.source.folder
    for version in (entry, *entry.earlier):
        prefix = base if version is entry else f"{base}v{version.paper.version}/"
        yield OutputFile(prefix + "paper.md", version.paper.source.source.encode("utf-8"))
    figures = {f.relpath for version in (entry, *entry.earlier) for f in version.body.figures}
    supplements = {s["path"] for s in entry.paper.meta.get("supplements", [])}
    for relpath in sorted(figures | supplements):
        yield OutputFile(base + relpath, source=(folder / relpath).resolve())  # checked to stay inside
