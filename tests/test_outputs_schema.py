"""The published JSON Schema of the front matter (corpus/schema/front-matter.schema.json) and
Mirror's validator agree on every rule a JSON Schema can express: types, required fields,
enumerations, patterns, lengths, and the cross-field rules validate.py states in code. Each
fixture below gets the same verdict from both, and the verdict it is written for.

Rules no JSON Schema can express are left out on purpose: calendar validity (2026-02-30), free-text
dates (accepted with a warning), ORCID checksums, affiliation indices that must exist, the
versions of `changes`, files that must exist (supplements, bibliography)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import GOOD_FRONT
from jsonschema import Draft202012Validator

from mirror_site.config import Config
from mirror_site.corpus_schema import front_matter_schema
from mirror_site.load import load_paper
from mirror_site.model import SourcePaper
from mirror_site.validate import validate_paper

AUTHOR = '  - name: "A"\n    kind: ai\n    model: "m-1"\n'
BASE = 'title: "T"\nauthors:\n' + AUTHOR + "date: 2026-01-15\nabstract: \"A.\"\n"

# (id, front matter, valid?)
CASES: list[tuple[str, str, bool]] = [
    ("minimal", BASE, True),
    ("conftest-good", GOOD_FRONT, True),
    ("every-optional-field", BASE + textwrap.dedent("""\
        license: MIT
        keywords: [a, b]
        methods: [probing, steering]
        finding: replication
        subject_models: [{name: GPT-2, revision: main, parameters: 124M, url: "https://x.org/m", components: [L0]}]
        relations: {replicates: [other-paper, "doi:10.1000/x1", "arxiv:2301.05217", "https://x.org/p"]}
        ai_involvement: {hypothesis: ai, design: mixed, experiments: human, analysis: ai, writing: ai, human_oversight: full}
        reproducibility: {code: "https://x.org/c", data: "http://x.org/d", commit: abcdef1, seeds: [0, 7],
                          compute: {hardware: GPU, gpu_hours: 1.5}, environment: "py", command: "make"}
        claims: [{id: claim-one, statement: "S.", evidence: ["fig:a"]}]
        doi: "10.21105/joss.01075"
        arxiv: "2301.05217"
        updated: 2026-02-01
        draft: false
        aliases: [old-slug]
        extra: {anything: [1, {deep: true}]}
        """), True),
    ("tags-alias", BASE + "tags: [a]\n", True),
    ("retracted-with-reason", BASE + "status: retracted\nretraction: {date: 2026-02-01, reason: \"R.\"}\n", True),
    ("human-author-without-model", BASE.replace(AUTHOR, '  - name: "H"\n    kind: human\n    orcid: "0000-0002-1825-0097"\n'
                                                '    email: h@x.org\n    roles: [software]\n    equal-contrib: true\n'), True),
    ("block-scalar-title", BASE.replace('title: "T"', "title: |\n  One line"), True),
    ("multi-line-abstract", BASE.replace('abstract: "A."', "abstract: |\n  Line one.\n  Line two."), True),
    ("missing-title", BASE.replace('title: "T"\n', ""), False),
    ("missing-authors", BASE.replace("authors:\n" + AUTHOR, ""), False),
    ("missing-date", BASE.replace("date: 2026-01-15\n", ""), False),
    ("missing-abstract", BASE.replace('abstract: "A."\n', ""), False),
    ("no-authors", BASE.replace("authors:\n" + AUTHOR, "authors: []\n"), False),
    ("author-without-kind", BASE.replace("    kind: ai\n", ""), False),
    ("author-kind-unknown", BASE.replace("kind: ai", "kind: robot"), False),
    ("ai-author-without-model", BASE.replace('    model: "m-1"\n', ""), False),
    ("title-a-number", BASE.replace('title: "T"', "title: 42"), False),
    ("title-blank", BASE.replace('title: "T"', 'title: "   "'), False),
    ("title-two-lines", BASE.replace('title: "T"', 'title: "a\\nb"'), False),
    ("title-bidi-override", BASE.replace('title: "T"', 'title: "a\\u202eb"'), False),
    ("title-control-character", BASE.replace('title: "T"', 'title: "a\\x07b"'), False),
    ("title-tab", BASE.replace('title: "T"', 'title: "a\\tb"'), False),
    ("abstract-tab-allowed", BASE.replace('abstract: "A."', 'abstract: "a\\tb"'), True),
    ("title-too-long", BASE.replace('title: "T"', f'title: "{"x" * 301}"'), False),
    ("title-at-the-limit", BASE.replace('title: "T"', f'title: "{"x" * 300}"'), True),
    ("date-slashes", BASE.replace("2026-01-15", '"2026/01/15"'), False),
    ("date-a-number", BASE.replace("2026-01-15", "20260115"), False),
    ("unknown-key", BASE + "titel: x\n", False),
    ("other-tools-key", BASE + "output: pdf_document\n", False),
    ("tags-and-keywords", BASE + "tags: [a]\nkeywords: [b]\n", False),
    ("keywords-not-a-list", BASE + "keywords: a\n", False),
    ("keyword-a-number", BASE + "keywords: [1]\n", False),
    ("method-unknown", BASE + "methods: [telepathy]\n", False),
    ("finding-unknown", BASE + "finding: great\n", False),
    ("license-not-spdx", BASE + "license: CC-BY\n", False),
    ("orcid-bad-form", BASE.replace('    model: "m-1"\n', '    model: "m-1"\n    orcid: "1234"\n'), False),
    ("email-bad", BASE.replace('    model: "m-1"\n', '    model: "m-1"\n    email: "nobody"\n'), False),
    ("role-unknown", BASE.replace('    model: "m-1"\n', '    model: "m-1"\n    roles: [cheering]\n'), False),
    ("corresponding-not-boolean", BASE.replace('    model: "m-1"\n', '    model: "m-1"\n    corresponding: "yes please"\n'),
     False),
    ("doi-bad", BASE + 'doi: "11.1/x"\n', False),
    ("arxiv-bad", BASE + 'arxiv: "abc"\n', False),
    ("relation-kind-unknown", BASE + "relations: {loves: [x]}\n", False),
    ("relation-target-bad", BASE + 'relations: {extends: ["Not A Slug"]}\n', False),
    ("involvement-unknown", BASE + "ai_involvement: {writing: robots}\n", False),
    ("code-url-ftp", BASE + 'reproducibility: {code: "ftp://x.org/c"}\n', False),
    ("commit-not-hex", BASE + "reproducibility: {commit: xyz}\n", False),
    ("seed-negative", BASE + "reproducibility: {seeds: [-1]}\n", False),
    ("gpu-hours-negative", BASE + "reproducibility: {compute: {gpu_hours: -2}}\n", False),
    ("subject-model-without-name", BASE + "subject_models: [{revision: main}]\n", False),
    ("claim-id-bad", BASE + 'claims: [{id: "Bad Id", statement: "S."}]\n', False),
    ("version-zero", BASE + "version: 0\n", False),
    ("status-unknown", BASE + "status: hidden\n", False),
    ("retracted-without-retraction", BASE + "status: retracted\n", False),
    ("withdrawn-without-retraction", BASE + "status: withdrawn\n", False),
    ("draft-not-boolean", BASE + 'draft: "no"\n', False),
    ("alias-not-a-slug", BASE + "aliases: [Old_Slug]\n", False),
    ("front-matter-a-list", "- a\n- b\n", False),
    ("joss-affiliations", BASE.replace('    model: "m-1"\n', '    model: "m-1"\n    affiliation: "1, 2"\n')
     + 'affiliations: [{name: "X", index: 1}, {name: "Y", index: 2, ror: 05dxps055}]\n', True),
    ("affiliation-without-name", BASE + "affiliations: [{index: 1}]\n", False),
    ("ror-bad", BASE + 'affiliations: [{name: "X", ror: "nope"}]\n', False),
    ("a-second-version", BASE + "version: 2\nchanges: [{version: 2, date: 2026-02-01, kind: typo, summary: \"S.\", "
     f"sha256: \"{'a' * 64}\"}}]\n", True),
    ("change-kind-unknown", BASE + "version: 2\nchanges: [{version: 2, date: 2026-02-01, kind: whim, summary: \"S.\", "
     f"sha256: \"{'a' * 64}\"}}]\n", False),
    ("change-hash-short", BASE + 'version: 2\nchanges: [{version: 2, date: 2026-02-01, kind: typo, summary: "S.", '
     'sha256: "abc"}]\n', False),
    ("supplement-path-outside", BASE + 'supplements: [{path: "../x.py", description: "D."}]\n', False),
    ("bibliography-odd-name", BASE + 'bibliography: "refs$.bib"\n', False),
]


@pytest.mark.parametrize(("front", "expected"), [(f, e) for _, f, e in CASES], ids=[c[0] for c in CASES])
def test_schema_and_validator_agree(tmp_path: Path, front: str, expected: bool) -> None:
    config = Config()
    folder = tmp_path / "paper"
    folder.mkdir()
    (folder / "paper.md").write_text(f"---\n{front}---\n# Body\n", encoding="utf-8")
    source = load_paper(folder, tmp_path, config)
    if not isinstance(source, SourcePaper):  # refused before validation (a list is no front matter)
        validator_says = False
        import yaml

        data = yaml.safe_load(front)
    else:
        paper, problems = validate_paper(source, config)
        validator_says = paper is not None
        data = source.front
        assert validator_says == (not any(p.level == "error" for p in problems))
    schema = front_matter_schema(config)
    Draft202012Validator.check_schema(schema)
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(data)]
    schema_says = not errors
    assert validator_says == expected, f"validator: {validator_says}, written for {expected}"
    assert schema_says == validator_says, f"the schema says {schema_says}: {errors}"


def test_the_cases_cover_both_verdicts_and_every_top_level_field() -> None:
    assert {e for _, _, e in CASES} == {True, False}
    schema = front_matter_schema(Config())
    written = " ".join(f for _, f, _ in CASES)
    missing = [name for name in schema["properties"] if f"{name}:" not in written]
    assert missing == [], missing
