"""Output: the machine-readable corpus. `corpus/index.json` also records what is published,
which is how the next build knows never to drop a published paper silently."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import __version__
from .assemble import Site
from .model import OutputFile
from .urls import absolute, paper_url

INDEX = "corpus/index.json"
SCHEMA_VERSION = 1


def dumps(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no NaN or Infinity, UTF-8, trailing newline."""
    return (json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, indent=1) + "\n").encode("utf-8")


def index(site: Site) -> dict[str, Any]:
    config = site.config
    papers = []
    for entry in site.papers:
        paper = entry.paper
        url = absolute(config.base_url, config.base_path, paper_url(config.base_path, paper.slug))
        papers.append({
            "slug": paper.slug, "title": paper.title, "date": paper.date, "updated": paper.updated or paper.date,
            "version": paper.version, "status": paper.status, "license": paper.license, "finding": paper.finding,
            "authors": [{"name": a.name, "kind": a.kind, **({"model": a.model} if a.model else {})}
                        for a in paper.authors],
            "keywords": list(paper.keywords), "methods": list(paper.methods),
            "url": url, "markdown_url": url + "paper.md", "sha256": paper.source.sha256,
        })
    return {"generator": f"Mirror {__version__}", "schema_version": SCHEMA_VERSION, "title": config.title,
            "base_url": config.base_url, "papers": sorted(papers, key=lambda p: p["slug"])}


def corpus_files(site: Site) -> Iterator[OutputFile]:
    yield OutputFile(INDEX, dumps(index(site)))


def published_slugs(out: Path) -> frozenset[str] | None:
    """Slugs listed in the previous build's index; None when `out` holds no Mirror build."""
    try:
        data = json.loads((out / INDEX).read_text(encoding="utf-8"))
        if not str(data.get("generator", "")).startswith("Mirror"):
            return None
        return frozenset(str(p["slug"]) for p in data["papers"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
