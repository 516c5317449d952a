"""One paper as a machine-readable record: the metadata that `paper.json`, the corpus index and
`papers.jsonl` share, so each says the same about a paper. Missing values are `null`, `[]` or `{}`
rather than absent keys: every record has the same columns, which is what data loaders expect."""

from __future__ import annotations

from typing import Any

from .assemble import PublishedPaper, license_url
from .cite import formatted_citation, volume_and_issue
from .config import Config
from .jsonfile import dumps
from .model import Author, OutputFile, Paper
from .relations import Backlink, inverse_lists
from .urls import paper_dir, site_url

SCHEMA_VERSION = 1


def paper_urls(slug: str, config: Config) -> dict[str, str]:
    base = site_url(config.base_url, paper_dir(slug))
    return {"html": base, "json": base + "paper.json", "markdown": base + "paper.md", "bibtex": base + "cite.bib",
            "cff": base + "CITATION.cff"}


def author_record(author: Author) -> dict[str, Any]:
    return {"name": author.name, "kind": author.kind, "model": author.model or None,
            "orcid": author.orcid or None, "affiliations": list(author.affiliations), "roles": list(author.roles),
            "corresponding": author.corresponding, "equal_contrib": author.equal_contrib}


def has_text(paper: Paper) -> bool:
    """A withdrawn paper leaves only a tombstone: its text is no longer published anywhere."""
    return paper.status != "withdrawn"


def last_changed(paper: Paper) -> str:
    """The latest date the paper states for itself: `updated`, a new version, a retraction."""
    dates = [paper.date, paper.updated] + [str(c["date"]) for c in paper.meta.get("changes", [])]
    if "retraction" in paper.meta:
        dates.append(str(paper.meta["retraction"]["date"]))
    return max(d for d in dates if d)


def versions(entry: PublishedPaper, config: Config) -> list[dict[str, Any]]:
    """Each version with its date, what changed, and the URL of its page when it is published."""
    paper = entry.paper
    pages = {old.paper.version for old in entry.earlier}
    html = paper_urls(paper.slug, config)["html"]

    def url(version: int) -> str | None:
        return html if version == paper.version else (f"{html}v{version}/" if version in pages else None)

    found: list[dict[str, Any]] = [{"version": 1, "date": paper.date, "url": url(1)}]
    for change in paper.meta.get("changes", []):
        found.append({"version": change["version"], "date": change["date"], "kind": change["kind"],
                      "summary": change["summary"], "previous_sha256": change["sha256"], "url": url(change["version"])})
    return found


def metadata(entry: PublishedPaper, config: Config, backlinks: tuple[Backlink, ...]) -> dict[str, Any]:
    """What every machine-readable view of a paper says about it (no body text); `backlinks` are
    the papers that relate to or cite it (`Site.backlinks`)."""
    paper, meta = entry.paper, entry.paper.meta
    volume, issue = volume_and_issue(paper.date)
    return {
        "slug": paper.slug, "title": paper.title, "authors": [author_record(a) for a in paper.authors],
        "date": paper.date, "updated": last_changed(paper), "version": paper.version,
        "status": paper.status, "retraction": meta.get("retraction"),
        "license": paper.license, "license_url": license_url(paper.license),
        "abstract": paper.abstract, "abstract_text": entry.body.abstract_text,
        "keywords": list(paper.keywords), "methods": list(paper.methods), "finding": paper.finding or None,
        "subject_models": meta.get("subject_models", []), "relations": meta.get("relations", {}),
        "linked_from": inverse_lists(backlinks),
        "ai_involvement": meta.get("ai_involvement", {}), "reproducibility": meta.get("reproducibility", {}),
        "claims": meta.get("claims", []), "doi": paper.doi or None, "arxiv": paper.arxiv or None,
        "versions": versions(entry, config),
        "journal": {"title": config.title, "volume": volume, "issue": issue, "publisher": config.publisher},
        "citation": formatted_citation(paper, config), "urls": paper_urls(paper.slug, config),
        "sha256": paper.source.sha256,
    }


def full_record(entry: PublishedPaper, config: Config, backlinks: tuple[Backlink, ...]) -> dict[str, Any]:
    """Metadata plus the whole text: the Markdown source and the plain text (null once withdrawn)."""
    keep = has_text(entry.paper)
    return {**metadata(entry, config, backlinks), "schema_version": SCHEMA_VERSION,
            "markdown": entry.paper.source.source if keep else None,
            "text": entry.body.text if keep else None,
            "references": [{"id": ident, "text": text} for (ident, _), text in zip(entry.body.references,
                                                                                  entry.body.reference_texts, strict=True)]
            if keep else [],
            "cites": sorted({slug for slug, _ in entry.body.mirror_citations}) if keep else []}


def paper_json(entry: PublishedPaper, config: Config, backlinks: tuple[Backlink, ...]) -> dict[str, Any]:
    """`paper.json`: the full record, without the Markdown (it is beside it as `paper.md`), with headings."""
    record = full_record(entry, config, backlinks)
    del record["markdown"]
    keep = has_text(entry.paper)
    record["headings"] = [{"level": h.level, "text": h.text, "id": h.id} for h in entry.body.headings] if keep else []
    return record


def paper_json_file(entry: PublishedPaper, config: Config, backlinks: tuple[Backlink, ...]) -> OutputFile:
    """`paper.json` of a complete entry (`Site.full`)."""
    return OutputFile(paper_dir(entry.paper.slug) + "paper.json", dumps(paper_json(entry, config, backlinks)))
