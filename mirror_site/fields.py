"""The front matter of a paper, field by field (PAPER-FORMAT, documented in docs/format.md)."""

from __future__ import annotations

from .schema import AnyOf, Boolean, Choice, Date, Field, Free, Integer, ListOf, Number, Orcid, Record, Text, Url

CREDIT_ROLES = (
    "conceptualization", "data-curation", "formal-analysis", "funding-acquisition", "investigation",
    "methodology", "project-administration", "resources", "software", "supervision", "validation",
    "visualization", "writing-original-draft", "writing-review-editing",
)
FINDINGS = ("novel", "confirmatory", "replication", "failed-replication", "negative", "method", "dataset", "survey")
RELATION_KINDS = ("replicates", "fails_to_replicate", "extends", "contradicts", "uses_method_of")
STATUSES = ("published", "retracted", "withdrawn")
CHANGE_KINDS = ("typo", "clarification", "correction", "substantive")
INVOLVEMENT = ("ai", "human", "mixed")

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
DOI = r"10\.\d{4,9}/\S+"
ARXIV = r"\d{4}\.\d{4,5}(v\d+)?|[a-z\-]+(\.[A-Z]{2})?/\d{7}(v\d+)?"
RELATION_TARGET = rf"{SLUG}|mirror:{SLUG}|doi:{DOI}|arxiv:(?:{ARXIV})|https?://\S+"

LINE = Text(max_length=300)
NAME = Text(max_length=200)
PATH = Text(max_length=200, pattern=r"[A-Za-z0-9_.\-/ ]+", pattern_hint="a relative path inside the paper folder")
# JOSS writes affiliations as indices: `1`, `"1, 2"`; others write names, or a list of names.
AFFILIATION = AnyOf((Text(max_length=300), Integer(minimum=1, maximum=999), ListOf(Text(max_length=300))),
                    "an affiliation name, a list of names, or JOSS indices such as \"1, 2\"")

AUTHOR = Record({
    "name": Field(NAME, required=True, doc="the author's full name"),
    "kind": Field(Choice(("ai", "human")), required=True, doc="`ai` or `human`"),
    "model": Field(LINE, doc="for AI authors: the system name and exact version"),
    "affiliation": Field(AFFILIATION),
    "orcid": Field(Orcid()),
    "email": Field(Text(max_length=254, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+", pattern_hint="write name@example.org")),
    "roles": Field(ListOf(Choice(CREDIT_ROLES))),
    "corresponding": Field(Boolean()),
    "equal_contrib": Field(Boolean()),
}, aliases={"equal-contrib": "equal_contrib"})

PAPER_FIELDS: dict[str, Field] = {
    "title": Field(Text(max_length=300), required=True, doc="one line"),
    "authors": Field(ListOf(AUTHOR, min_items=1, max_items=500), required=True, doc="a list of `- name: …`"),
    "date": Field(Date(), required=True, doc="the publication date, YYYY-MM-DD"),
    "abstract": Field(Text(max_length=5000, one_line=False), required=True,
                      doc="the author-written abstract, Markdown inline syntax allowed"),
    "license": Field(Text(max_length=64), doc="an SPDX licence id; the journal default when absent"),
    "keywords": Field(ListOf(Text(max_length=100), max_items=50)),
    "affiliations": Field(ListOf(Record({
        "name": Field(LINE, required=True),
        "index": Field(AnyOf((Integer(minimum=1, maximum=999), Text(max_length=10)), "a number")),
        "ror": Field(Text(max_length=100, pattern=r"(https://ror\.org/)?0[a-z0-9]{6}\d{2}",
                          pattern_hint="a ROR id such as 05dxps055")),
    }))),
    "subject_models": Field(ListOf(Record({
        "name": Field(LINE, required=True),
        "revision": Field(LINE),
        "parameters": Field(Text(max_length=40)),
        "url": Field(Url()),
        "components": Field(ListOf(LINE)),
    }))),
    "methods": Field(ListOf(Choice(vocabulary="methods"))),
    "finding": Field(Choice(FINDINGS)),
    "relations": Field(Record({kind: Field(ListOf(Text(max_length=300, pattern=RELATION_TARGET,
                                                        pattern_hint="a Mirror slug, doi:10.…, arxiv:… or an https URL")))
                               for kind in RELATION_KINDS})),
    "ai_involvement": Field(Record({
        **{stage: Field(Choice(INVOLVEMENT)) for stage in ("hypothesis", "design", "experiments", "analysis", "writing")},
        "human_oversight": Field(Choice(("none", "light", "full"))),
    })),
    "reproducibility": Field(Record({
        "code": Field(Url()),
        "data": Field(Url()),
        "commit": Field(Text(max_length=64, pattern=r"[0-9a-f]{7,64}", pattern_hint="a hex commit id")),
        "environment": Field(Text(max_length=1000, one_line=False)),
        "compute": Field(Record({"hardware": Field(LINE), "gpu_hours": Field(Number())})),
        "seeds": Field(ListOf(Integer(minimum=0, maximum=2**63 - 1))),
        "command": Field(Text(max_length=1000, one_line=False)),
    })),
    "claims": Field(ListOf(Record({
        "id": Field(Text(max_length=60, pattern=SLUG), required=True),
        "statement": Field(Text(max_length=2000, one_line=False), required=True),
        "evidence": Field(ListOf(Text(max_length=100))),
    }))),
    "version": Field(Integer(minimum=1, maximum=1000)),
    "changes": Field(ListOf(Record({
        "version": Field(Integer(minimum=2, maximum=1000), required=True),
        "date": Field(Date(), required=True),
        "kind": Field(Choice(CHANGE_KINDS), required=True),
        "summary": Field(Text(max_length=2000, one_line=False), required=True),
        "sha256": Field(Text(max_length=64, pattern=r"[0-9a-f]{64}", pattern_hint="64 lowercase hex digits"),
                        required=True),
    }))),
    "status": Field(Choice(STATUSES)),
    "retraction": Field(Record({"date": Field(Date(), required=True),
                                "reason": Field(Text(max_length=2000, one_line=False), required=True)})),
    "updated": Field(Date()),
    "draft": Field(Boolean()),
    "aliases": Field(ListOf(Text(max_length=80, pattern=SLUG, pattern_hint="a former slug"))),
    "doi": Field(Text(max_length=200, pattern=DOI, pattern_hint="a DOI such as 10.21105/joss.01075")),
    "arxiv": Field(Text(max_length=40, pattern=ARXIV, pattern_hint="an arXiv id such as 2301.05217")),
    "bibliography": Field(PATH),
    "supplements": Field(ListOf(Record({
        "path": Field(Text(max_length=200, pattern=r"(code|data)/[A-Za-z0-9_.\-/]+",
                           pattern_hint="a file under code/ or data/"), required=True),
        "description": Field(LINE, required=True),
    }))),
    "extra": Field(Free()),
}


def paper_record(ignorable: tuple[str, ...]) -> Record:
    """The whole front matter; `ignorable` lists other tools' keys the configuration lets pass."""
    return Record(PAPER_FIELDS, aliases={"tags": "keywords"}, ignorable=ignorable)
