"""Output: `corpus/croissant.json`, the corpus described as an MLCommons Croissant 1.0 dataset
(a schema.org `Dataset`), so dataset tools can find, check and load the papers."""

from __future__ import annotations

from typing import Any

from .assemble import Site, license_url
from .urls import site_url

CROISSANT = "corpus/croissant.json"

# The standard Croissant 1.0 `@context`, as the specification's example datasets write it.
CONTEXT: dict[str, Any] = {
    "@language": "en", "@vocab": "https://schema.org/", "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/", "conformsTo": "dct:conformsTo",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "examples": {"@id": "cr:examples", "@type": "@json"},
    **{name: f"cr:{name}" for name in (
        "citeAs", "column", "equivalentProperty", "extract", "field", "fileProperty", "fileObject", "fileSet",
        "format", "includes", "isLiveDataset", "jsonPath", "key", "md5", "parentField", "path", "recordSet",
        "references", "regex", "repeated", "replace", "samplingRate", "separator", "source", "subField", "transform")},
}

# Columns of `papers.jsonl` worth typing for loaders: (name, Croissant data type, description).
COLUMNS = (
    ("slug", "sc:Text", "the paper's permanent identifier, its URL segment"),
    ("title", "sc:Text", "the title"),
    ("date", "sc:Date", "publication date"),
    ("updated", "sc:Date", "date of the last significant change"),
    ("version", "sc:Integer", "version number, from 1"),
    ("status", "sc:Text", "published, retracted or withdrawn"),
    ("license", "sc:Text", "SPDX licence id of this paper"),
    ("finding", "sc:Text", "kind of contribution: novel, replication, negative, ..."),
    ("abstract_text", "sc:Text", "the abstract as plain text"),
    ("markdown", "sc:Text", "the paper's Markdown source, front matter included (null once withdrawn)"),
    ("text", "sc:Text", "the rendered paper as plain text (null once withdrawn)"),
    ("sha256", "sc:Text", "SHA-256 of the paper's Markdown source"),
)


def _distribution(files: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The files and the source that the record set reads: one JSON Lines file, or its gzip shards."""
    objects = [{"@type": "cr:FileObject", "@id": f["path"], "name": f["path"].rsplit("/", 1)[-1],
                "contentUrl": f["url"], "encodingFormat": "application/jsonlines", "sha256": f["sha256"],
                "contentSize": f"{f['bytes']} B"} for f in files]
    if len(files) == 1 and files[0]["encoding"] is None:
        return objects, {"fileObject": {"@id": files[0]["path"]}}
    shards = {"@type": "cr:FileSet", "@id": "corpus/papers-shards", "name": "papers-shards",
              "description": "the corpus as gzip-compressed JSON Lines, one shard per issue (month)",
              "encodingFormat": "application/jsonlines", "includes": "corpus/papers-*.jsonl.gz"}
    return objects + [shards], {"fileSet": {"@id": "corpus/papers-shards"}}


def croissant(site: Site, files: list[dict[str, Any]]) -> dict[str, Any]:
    config = site.config
    dates = sorted(e.paper.updated or e.paper.date for e in site.papers)
    licences = sorted({e.paper.license for e in site.papers} or {config.license})
    distribution, source = _distribution(files)
    fields = [{"@type": "cr:Field", "@id": f"papers/{name}", "name": name, "description": doc, "dataType": kind,
               "source": {**source, "extract": {"column": name}}} for name, kind, doc in COLUMNS]
    dataset: dict[str, Any] = {
        "@context": CONTEXT, "@type": "sc:Dataset", "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": config.title, "description": config.description, "url": config.base_url,
        "sameAs": site_url(config.base_url, "corpus/index.json"),
        "license": [license_url(spdx) for spdx in licences],
        "creator": {"@type": "Organization", "name": config.publisher, "url": config.base_url},
        "publisher": {"@type": "Organization", "name": config.publisher, "url": config.base_url},
        "inLanguage": config.language, "isLiveDataset": True,
        "keywords": ["interpretability", "AI-written research", "scholarly papers"],
        "citeAs": f"{config.title}. {config.base_url}",
        "version": f"{len(site.papers)}.0.0",  # grows with the corpus: every new paper is a new version
        "distribution": distribution,
        "recordSet": [{"@type": "cr:RecordSet", "@id": "papers", "name": "papers",
                       "description": "one record per published paper", "key": {"@id": "papers/slug"},
                       "field": fields}],
    }
    if dates:
        dataset["datePublished"] = dates[0]
        dataset["dateModified"] = dates[-1]
    return dataset
