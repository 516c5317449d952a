"""The corpus and the per-paper machine files: every record matches the published JSON Schemas,
the index lists exactly the published papers, Croissant passes `mlcroissant validate`, BibTeX
parses with pybtex and bibtexparser, CITATION.cff is CFF 1.2.0, llms.txt parses, and past the
configured size `papers.jsonl` becomes gzip shards by issue, one edit rewriting one shard."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import bibtexparser
import pybtex.database
import yaml
from conftest import run, tree, write_journal
from jsonschema import Draft202012Validator
from llms_txt import parse_llms_file
from machine_outputs import BASE_URL, HIDDEN, PUBLISHED, build_fixture, journal_files, run_tool, tool

from mirror_site import front_matter

pytest_plugins = ["outputs_fixture"]  # the session-scoped `site` fixture


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _validator(site: Path, name: str) -> Draft202012Validator:
    schema = _json(site / "corpus/schema" / name)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == BASE_URL + f"corpus/schema/{name}"
    return Draft202012Validator(schema)


def _errors(validator: Draft202012Validator, value: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


def test_index_lists_exactly_the_published_papers(site: Path) -> None:
    index = _json(site / "corpus/index.json")
    assert [p["slug"] for p in index["papers"]] == sorted(PUBLISHED)
    assert _errors(_validator(site, "index.schema.json"), index) == []
    for paper in index["papers"]:
        md = site / "papers" / paper["slug"] / "paper.md"
        assert paper["sha256"] == hashlib.sha256(md.read_bytes()).hexdigest()
        assert paper["urls"]["html"] == BASE_URL + f"papers/{paper['slug']}/"
        assert paper["license"] and paper["license_url"].startswith("https://")
        assert paper["corpus_file"] == "corpus/papers.jsonl"
    full = next(p for p in index["papers"] if p["slug"] == "full-metadata-paper")
    assert full["subject_models"][0]["name"] == "GPT-2 small" and full["relations"]["extends"] == ["attention-sinks-probe"]
    assert full["finding"] == "novel" and full["methods"] == ["sparse-autoencoder", "activation-patching"]
    assert index["files"] == [{"path": "corpus/papers.jsonl", "url": BASE_URL + "corpus/papers.jsonl", "issue": None,
                               "papers": 4, "bytes": (site / "corpus/papers.jsonl").stat().st_size, "encoding": None,
                               "sha256": hashlib.sha256((site / "corpus/papers.jsonl").read_bytes()).hexdigest()}]


def test_index_and_changes_hold_one_paper_or_event_per_line(site: Path) -> None:
    """The journal-wide lists are written one compact item a line (fast to write, easy to diff)."""
    for name, rows in (("index.json", "papers"), ("changes.json", "events")):
        lines = (site / "corpus" / name).read_text(encoding="utf-8").splitlines()
        items = _json(site / "corpus" / name)[rows]
        start = lines.index(f' "{rows}": [')
        assert len(items) > 1 and [json.loads(line.strip().rstrip(",")) for line in lines[start + 1:start + 1 + len(items)]] == items
        assert lines[start + 1 + len(items)].rstrip(",") == " ]" and lines[0] == "{" and lines[-1] == "}"


def test_jsonfile_rows_layout_is_the_indented_document_elsewhere() -> None:
    from mirror_site.jsonfile import dumps
    value = {"b": {"x": [1, {"y": "a\nb"}], "z": {}}, "a": 't"\u0000', "c": [], "papers": [{"k": 1, "j": [1]}, {"é": "ü"}]}
    assert json.loads(dumps(value, rows="papers")) == value
    without = {k: v for k, v in value.items() if k != "papers"}
    assert dumps(without, rows="papers") == dumps(without)
    assert dumps({"papers": []}, rows="papers") == b'{\n "papers": []\n}\n'


def test_held_back_and_draft_papers_appear_nowhere(site: Path) -> None:
    for path, data in tree(site).items():
        for slug, title in HIDDEN.items():
            assert slug.encode() not in data and title.encode() not in data, (path, slug)


def test_records_match_their_schemas(site: Path) -> None:
    record = _validator(site, "record.schema.json")
    lines = (site / "corpus/papers.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(PUBLISHED)
    for line in lines:
        value = json.loads(line)
        assert _errors(record, value) == []
        assert value["markdown"] == (site / "papers" / value["slug"] / "paper.md").read_text(encoding="utf-8")
        assert value["text"] and "<p>" not in value["text"] and "</" not in value["text"].replace("</script>", "")
    paper = _validator(site, "paper.schema.json")
    for slug in PUBLISHED:
        assert _errors(paper, _json(site / "papers" / slug / "paper.json")) == []
    assert _errors(_validator(site, "changes.schema.json"), _json(site / "corpus/changes.json")) == []
    front = _validator(site, "front-matter.schema.json")
    for slug in PUBLISHED:
        split = front_matter.split((site / "papers" / slug / "paper.md").read_text(encoding="utf-8"), "p.md")
        assert isinstance(split, front_matter.Split)
        parsed = front_matter.parse(split, "p.md", 65536)
        assert isinstance(parsed, front_matter.FrontMatter)
        assert _errors(front, parsed.data) == []


def test_changes_say_what_changed_when(site: Path) -> None:
    changes = _json(site / "corpus/changes.json")
    events = [(e["date"], e["slug"], e["kind"]) for e in changes["events"]]
    assert events == sorted(events)
    assert ("2026-01-05", "revised-finding", "revised") in events
    assert ("2026-02-10", "retracted-claim", "retracted") in events
    assert {slug for _, slug, kind in events if kind == "added"} == set(PUBLISHED)
    assert changes["latest"] == "2026-03-04"
    revised = _json(site / "papers/revised-finding/paper.json")["versions"]
    assert [(v["version"], v["date"], v["url"]) for v in revised] == [
        (1, "2025-12-01", BASE_URL + "papers/revised-finding/v1/"), (2, "2026-01-05", BASE_URL + "papers/revised-finding/")]


def test_croissant_passes_mlcroissant_validate(site: Path) -> None:
    result = run_tool(tool("mlcroissant"), "validate", "--jsonld", site / "corpus/croissant.json")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "error" not in result.stderr.lower()
    dataset = _json(site / "corpus/croissant.json")
    assert dataset["distribution"][0]["sha256"] == hashlib.sha256((site / "corpus/papers.jsonl").read_bytes()).hexdigest()


def test_bibtex_parses_with_pybtex_and_bibtexparser(site: Path) -> None:
    for slug in PUBLISHED:
        text = (site / "papers" / slug / "cite.bib").read_text(encoding="utf-8")
        entry = pybtex.database.parse_string(text, "bibtex").entries[f"mirror:{slug}"]
        assert entry.type == "article" and entry.fields["url"] == BASE_URL + f"papers/{slug}/"
        library = bibtexparser.parse_string(text)
        assert not library.failed_blocks and [e.key for e in library.entries] == [f"mirror:{slug}"]
    text = (site / "papers/full-metadata-paper/cite.bib").read_text(encoding="utf-8")
    entry = pybtex.database.parse_string(text, "bibtex").entries["mirror:full-metadata-paper"]
    # An AI system's name is braced: it has no given and family names to split.
    assert [str(p) for p in entry.persons["author"]] == ["{Circuit Agent}", "van der Berg, María José"]
    assert entry.fields["title"] == "{Every field: SAE features \\& circuits in <GPT-2> small}"
    assert entry.fields["doi"] == "10.1234/mirror.5678" and entry.fields["eprint"] == "2601.01234"


def test_citation_cff(site: Path) -> None:
    for slug in PUBLISHED:
        cff = yaml.safe_load((site / "papers" / slug / "CITATION.cff").read_text(encoding="utf-8"))
        assert cff["cff-version"] == "1.2.0" and cff["message"] and cff["title"] and cff["authors"]
        assert cff["preferred-citation"]["type"] == "article"
        for author in cff["authors"]:
            assert author.get("name") or author.get("family-names")
    cff = yaml.safe_load((site / "papers/full-metadata-paper/CITATION.cff").read_text(encoding="utf-8"))
    assert cff["authors"][0] == {"name": "Circuit Agent", "alias": "agent-model-3 (2026-01)"}
    assert cff["authors"][1]["orcid"] == "https://orcid.org/0000-0002-1825-0097"
    assert cff["doi"] == "10.1234/mirror.5678" and cff["license"] == "CC-BY-SA-4.0"


def test_llms_txt_parses_and_links_every_markdown_twin(site: Path) -> None:
    parsed = parse_llms_file((site / "llms.txt").read_text(encoding="utf-8"))
    assert parsed["title"] == "Fixture Journal" and parsed["summary"] == "Machine outputs under test."
    links = [link["url"] for link in parsed["sections"]["Papers"]]
    assert sorted(links) == sorted(BASE_URL + f"papers/{slug}/paper.md" for slug in PUBLISHED)
    full = (site / "llms-full.txt").read_text(encoding="utf-8")
    for slug in PUBLISHED:
        assert (site / "papers" / slug / "paper.md").read_text(encoding="utf-8").rstrip("\n") in full


def test_llms_full_stops_at_its_budget(tmp_path: Path) -> None:
    out = build_fixture(tmp_path, extra_config="llms_full_max_bytes = 1500\n")
    full = (out / "llms-full.txt").read_text(encoding="utf-8")
    assert full.count("\nSource: ") < len(PUBLISHED) and "older ones are in" in full


def _shards(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "corpus").glob("papers-*.jsonl.gz"))}


def test_corpus_becomes_gzip_shards_by_issue_past_the_threshold(tmp_path: Path) -> None:
    out = build_fixture(tmp_path / "a", extra_config="corpus_shard_bytes = 1000\n")
    assert not (out / "corpus/papers.jsonl").exists()
    shards = _shards(out)
    assert sorted(shards) == ["papers-2025-12.jsonl.gz", "papers-2026-01.jsonl.gz", "papers-2026-02.jsonl.gz",
                              "papers-2026-03.jsonl.gz"]
    record = _validator(out, "record.schema.json")
    seen = []
    for name, data in shards.items():
        for line in gzip.decompress(data).decode("utf-8").splitlines():
            value = json.loads(line)
            assert _errors(record, value) == [] and value["date"][:7] == name[7:14]
            seen.append(value["slug"])
    assert sorted(seen) == sorted(PUBLISHED)
    index = _json(out / "corpus/index.json")
    assert [f["path"] for f in index["files"]] == [f"corpus/{n}" for n in sorted(shards)]
    assert all(f["encoding"] == "gzip" and f["sha256"] == hashlib.sha256(shards[f["path"][7:]]).hexdigest()
               for f in index["files"])
    assert {p["slug"]: p["corpus_file"] for p in index["papers"]}["revised-finding"] == "corpus/papers-2025-12.jsonl.gz"
    result = run_tool(tool("mlcroissant"), "validate", "--jsonld", out / "corpus/croissant.json")
    assert result.returncode == 0, result.stderr[-3000:]

    # One edited paper rewrites one shard; the others keep their bytes (gzip carries no timestamp).
    root = tmp_path / "b"
    files = journal_files()
    files["mirror.toml"] = str(files["mirror.toml"]) + "corpus_shard_bytes = 1000\n"
    files["papers/retracted-claim/paper.md"] = str(files["papers/retracted-claim/paper.md"]) + "\nA new paragraph.\n"
    write_journal(root, files)
    run(root, jobs=1, base_url=BASE_URL)
    edited = _shards(root / "site")
    assert [n for n in shards if shards[n] != edited[n]] == ["papers-2026-01.jsonl.gz"]
