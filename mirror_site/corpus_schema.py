"""Output: `corpus/schema/`, the JSON Schemas (draft 2020-12) of the front matter and of every
corpus record. The front matter's schema is generated from the same declarative fields the
validator runs (`fields.py`), so the two cannot drift; the records reuse its pieces."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .config import Config
from .fields import FINDINGS, STATUSES, paper_record
from .jsonfile import dumps
from .licenses import SPDX_IDS
from .model import OutputFile
from .relations import INVERSE_KEYS
from .schema import resolve_vocabularies
from .urls import site_url

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR = "corpus/schema/"
STRING = {"type": "string"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
NULLABLE_STRING = {"type": ["string", "null"]}
URL = {"type": "string", "pattern": "^https?://"}
HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def _closed(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these keys: records always carry every column."""
    return {"type": "object", "properties": properties, "required": sorted(properties), "additionalProperties": False}


def front_matter_schema(config: Config) -> dict[str, Any]:
    """The declarative fields, plus the rules `validate.py` states in code that JSON Schema can say
    too: SPDX licence ids, a `model` for every AI author, a `retraction` for a paper not published."""
    record: dict[str, Any] = resolve_vocabularies(paper_record(config.ignorable_keys).json_schema(),
                                                  {"methods": config.methods})
    record["properties"]["license"]["enum"] = sorted(SPDX_IDS)
    author = record["properties"]["authors"]["items"]
    author["if"] = {"properties": {"kind": {"const": "ai"}}, "required": ["kind"]}
    author["then"] = {"required": ["model"]}
    record["if"] = {"properties": {"status": {"enum": ["retracted", "withdrawn"]}}, "required": ["status"]}
    record["then"] = {"required": ["retraction"]}
    return record


def _front(name: str, config: Config) -> dict[str, Any]:
    return front_matter_schema(config)["properties"][name]  # type: ignore[no-any-return]


def metadata_properties(config: Config) -> dict[str, Any]:
    """The columns that `paper.json`, `papers.jsonl` and the index share (see `records.metadata`)."""
    author = _closed({"name": STRING, "kind": {"enum": ["ai", "human"]}, "model": NULLABLE_STRING,
                      "orcid": NULLABLE_STRING, "affiliations": {"type": "array", "items": STRING},
                      "roles": {"type": "array", "items": STRING}, "corresponding": {"type": "boolean"},
                      "equal_contrib": {"type": "boolean"}})
    version = {"type": "object", "required": ["version", "date"],
               "properties": {"version": {"type": "integer", "minimum": 1}, "date": DATE, "kind": STRING,
                              "summary": STRING, "previous_sha256": HEX64,
                              "url": {"anyOf": [{"type": "null"}, URL]}}, "additionalProperties": False}
    urls = _closed({key: URL for key in ("html", "json", "markdown", "bibtex", "cff")})
    journal = _closed({"title": STRING, "volume": STRING, "issue": STRING, "publisher": STRING})
    return {
        "slug": {"type": "string", "pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$"}, "title": STRING,
        "authors": {"type": "array", "minItems": 1, "items": author}, "date": DATE, "updated": DATE,
        "version": {"type": "integer", "minimum": 1}, "status": {"enum": list(STATUSES)},
        "retraction": {"anyOf": [{"type": "null"}, _front("retraction", config)]},
        "license": STRING, "license_url": URL, "abstract": STRING, "abstract_text": STRING,
        "keywords": {"type": "array", "items": STRING}, "methods": _front("methods", config),
        "finding": {"enum": [*FINDINGS, None]},
        **{name: _front(name, config) for name in ("subject_models", "relations", "ai_involvement",
                                                    "reproducibility", "claims")},
        "linked_from": _closed({key: {"type": "array", "items": STRING} for key in INVERSE_KEYS.values()}),
        "doi": NULLABLE_STRING, "arxiv": NULLABLE_STRING,
        "versions": {"type": "array", "minItems": 1, "items": version},
        "journal": journal, "citation": STRING, "urls": urls, "sha256": HEX64,
    }


def schemas(config: Config) -> dict[str, dict[str, Any]]:
    """`file name → schema`, each with its permanent `$id` under the site."""
    meta = metadata_properties(config)
    text = {"schema_version": {"const": 1}, "text": NULLABLE_STRING,
            "references": {"type": "array", "items": _closed({"id": STRING, "text": STRING})},
            "cites": {"type": "array", "items": STRING, "description": "slugs of the Mirror papers this paper cites"}}
    corpus_file = {"type": "object", "required": ["path", "url", "papers", "bytes", "sha256"],
                   "properties": {"path": STRING, "url": URL, "issue": NULLABLE_STRING, "papers": {"type": "integer"},
                                  "bytes": {"type": "integer"}, "sha256": HEX64, "encoding": {"enum": ["gzip", None]}}}
    heading = _closed({"level": {"type": "integer"}, "text": STRING, "id": STRING})
    event = _closed({"slug": STRING, "json": URL, "corpus_file": STRING, "sha256": HEX64, "date": DATE,
                     "kind": {"enum": ["added", "revised", "retracted", "withdrawn"]},
                     "version": {"type": "integer"}, "change": NULLABLE_STRING})
    documents = {
        "front-matter.schema.json": ("The front matter of a Mirror paper (papers/<slug>/paper.md)",
                                     front_matter_schema(config)),
        "record.schema.json": ("One line of corpus/papers.jsonl: a paper's metadata, Markdown and plain text",
                               _closed({**meta, **text, "markdown": NULLABLE_STRING})),
        "paper.schema.json": ("papers/<slug>/paper.json", _closed({**meta, **text, "headings": {
            "type": "array", "items": heading}})),
        "index.schema.json": ("corpus/index.json: every published paper and the files that hold them", {
            "type": "object", "required": ["generator", "schema_version", "base_url", "files", "papers"],
            "properties": {"generator": STRING, "schema_version": {"const": 1}, "base_url": URL,
                           "files": {"type": "array", "items": corpus_file},
                           "papers": {"type": "array", "items": _closed({**meta, "corpus_file": STRING})}}}),
        "changes.schema.json": ("corpus/changes.json: dated events, oldest first", {
            "type": "object", "required": ["schema_version", "latest", "events"],
            "properties": {"schema_version": {"const": 1}, "latest": {"anyOf": [{"type": "null"}, DATE]},
                           "events": {"type": "array", "items": event}}}),
    }
    return {name: {"$schema": DRAFT, "$id": site_url(config.base_url, SCHEMA_DIR + name), "title": title, **schema}
            for name, (title, schema) in documents.items()}


def schema_files(config: Config) -> Iterator[OutputFile]:
    for name, schema in sorted(schemas(config).items()):
        yield OutputFile(SCHEMA_DIR + name, dumps(schema))
