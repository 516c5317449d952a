"""The site feeds: Atom against the RFC 4287 RELAX NG grammar (jing) plus its Schematron rules,
RSS 2.0 against the RSS Board's rules, JSON Feed against a JSON Schema of version 1.1. Ids are
`tag:` URIs, dates come from the papers, and the bytes do not depend on the build clock."""

from __future__ import annotations

import datetime
import email.utils
import json
import re
from pathlib import Path

import pytest
from conftest import run, tree
from lxml import etree
from machine_outputs import BASE_URL, FIXTURES, HIDDEN, PUBLISHED, journal_files, run_tool, tool

pytest_plugins = ["outputs_fixture"]  # the session-scoped `site` fixture

ATOM = "{http://www.w3.org/2005/Atom}"
TAG_URI = re.compile(r"tag:[a-z0-9.\-]+,\d{4}(-\d{2}(-\d{2})?)?:\S+")


def test_atom_passes_the_rfc_4287_grammar(site: Path) -> None:
    result = run_tool(tool("jing"), "-c", FIXTURES / "atom.rnc", site / "feed.atom")
    assert result.returncode == 0, result.stdout + result.stderr


def test_jing_rejects_an_invalid_feed(tmp_path: Path) -> None:
    """The grammar is not vacuous: a feed without id and updated fails."""
    bad = tmp_path / "bad.atom"
    bad.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>', encoding="utf-8")
    result = run_tool(tool("jing"), "-c", FIXTURES / "atom.rnc", bad)
    assert result.returncode != 0 and "missing required elements" in result.stdout


def test_atom_schematron_rules_ids_and_dates(site: Path) -> None:
    """The rules RFC 4287 states in Schematron, which jing does not run, and Mirror's own."""
    feed = etree.parse(str(site / "feed.atom")).getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(PUBLISHED)
    assert TAG_URI.fullmatch(feed.findtext(f"{ATOM}id") or "")
    self_link = [link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link == [BASE_URL + "feed.atom"]
    ids = [e.findtext(f"{ATOM}id") or "" for e in entries]
    assert len(set(ids)) == len(ids) and all(TAG_URI.fullmatch(i) for i in ids)
    for entry in entries:
        assert entry.findall(f"{ATOM}author"), "every entry has an author"
        assert any(link.get("rel") == "alternate" and link.get("type") == "text/html"
                   for link in entry.findall(f"{ATOM}link"))
    # Newest first; `updated` is the paper's own latest date, never the build's.
    published = [e.findtext(f"{ATOM}published") for e in entries]
    assert published == sorted(published, reverse=True)
    updated = {e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}updated") for e in entries}
    assert updated["Every field: SAE features & circuits in <GPT-2> small"] == "2026-03-20T00:00:00Z"
    assert updated["Retracted: A claim we retract"] == "2026-02-10T00:00:00Z"
    assert updated["A finding, revised"] == "2026-01-05T00:00:00Z"
    assert feed.findtext(f"{ATOM}updated") == "2026-03-20T00:00:00Z"


def test_rss_follows_the_rss_board_rules(site: Path) -> None:
    """No schema exists for RSS 2.0: these are the RSS Board's rules, asserted."""
    rss = etree.parse(str(site / "feed.xml")).getroot()
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel is not None
    for required in ("title", "link", "description"):
        assert (channel.findtext(required) or "").strip(), required
    assert channel.findtext("link") == BASE_URL
    assert re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", channel.findtext("language") or "")
    self_links = channel.findall("{http://www.w3.org/2005/Atom}link")
    assert [(x.get("rel"), x.get("href"), x.get("type")) for x in self_links] == [
        ("self", BASE_URL + "feed.xml", "application/rss+xml")]
    items = channel.findall("item")
    assert len(items) == len(PUBLISHED)
    guids = []
    for item in items:
        assert item.findtext("title") or item.findtext("description"), "an item has a title or a description"
        assert (item.findtext("link") or "").startswith(BASE_URL)
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false" and TAG_URI.fullmatch(guid.text or "")
        guids.append(guid.text)
        date = item.findtext("pubDate") or ""
        assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} 00:00:00 GMT", date), date  # RFC 822
        assert email.utils.parsedate_to_datetime(date).utcoffset() == datetime.timedelta(0)
        assert item.find("author") is None, "RSS <author> must be an e-mail address; names go in dc:creator"
        assert item.findall("{http://purl.org/dc/elements/1.1/}creator")
    assert len(set(guids)) == len(guids)
    assert channel.findtext("pubDate") == "Wed, 04 Mar 2026 00:00:00 GMT"


def test_json_feed_passes_a_json_feed_1_1_schema(site: Path) -> None:
    result = run_tool(tool("check-jsonschema"), "--schemafile", FIXTURES / "jsonfeed-1.1.schema.json", site / "feed.json")
    assert result.returncode == 0, result.stdout + result.stderr
    feed = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    assert feed["feed_url"] == BASE_URL + "feed.json"
    assert [item["id"] for item in feed["items"]] == [
        e.findtext(f"{ATOM}id") for e in etree.parse(str(site / "feed.atom")).getroot().findall(f"{ATOM}entry")]


def test_every_listing_feed_passes_the_same_validators(site: Path) -> None:
    """Each topic, model, method, finding, author and archive listing has its three feeds: the
    Atom grammar (jing), the JSON Feed schema and the RSS rules hold for every one of them."""
    atoms = sorted(p for p in site.rglob("feed.atom") if p.parent != site)
    assert len(atoms) > 10 and {p.relative_to(site).parts[0] for p in atoms} >= {
        "topics", "models", "methods", "findings", "authors", "archive"}
    result = run_tool(tool("jing"), "-c", FIXTURES / "atom.rnc", *atoms)
    assert result.returncode == 0, result.stdout + result.stderr
    jsons = [p.with_name("feed.json") for p in atoms]
    result = run_tool(tool("check-jsonschema"), "--schemafile", FIXTURES / "jsonfeed-1.1.schema.json", *jsons)
    assert result.returncode == 0, result.stdout + result.stderr
    for atom in atoms:
        folder = atom.parent.relative_to(site).as_posix() + "/"
        feed = json.loads(atom.with_name("feed.json").read_text(encoding="utf-8"))
        assert feed["feed_url"] == BASE_URL + folder + "feed.json" and feed["home_page_url"] == BASE_URL + folder
        channel = etree.parse(str(atom.with_name("feed.xml"))).getroot().find("channel")
        assert channel is not None and channel.findtext("link") == BASE_URL + folder
        assert all((channel.findtext(k) or "").strip() for k in ("title", "description"))
        assert [i.findtext("guid") for i in channel.findall("item")] == [item["id"] for item in feed["items"]]


def test_json_feed_schema_rejects_what_the_spec_forbids(tmp_path: Path) -> None:
    bad = tmp_path / "feed.json"
    bad.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "x",
                               "items": [{"id": "1", "date_published": "yesterday"}]}), encoding="utf-8")
    result = run_tool(tool("check-jsonschema"), "--schemafile", FIXTURES / "jsonfeed-1.1.schema.json", bad)
    assert result.returncode != 0


def test_feeds_do_not_depend_on_the_build_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two builds a year apart give the same feeds, byte for byte; hidden papers are in none."""
    from conftest import write_journal

    outputs = []
    for epoch in ("1790000000", "1821536000"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        root = tmp_path / epoch
        write_journal(root, journal_files())
        run(root, jobs=1, base_url=BASE_URL)
        outputs.append({k: v for k, v in tree(root / "site").items() if k.startswith("feed.")})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 3
    for data in outputs[0].values():
        for slug, title in HIDDEN.items():
            assert slug.encode() not in data and title.encode() not in data


@pytest.mark.parametrize("limit", [1, 2])
def test_feeds_hold_the_newest_configured_number(tmp_path: Path, limit: int) -> None:
    from conftest import write_journal

    files = journal_files()
    files["mirror.toml"] = str(files["mirror.toml"]) + f"feed_entries = {limit}\n"
    write_journal(tmp_path, files)
    run(tmp_path, jobs=1)
    feed = json.loads((tmp_path / "site/feed.json").read_text(encoding="utf-8"))
    assert [i["url"].rsplit("/", 2)[-2] for i in feed["items"]] == ["full-metadata-paper", "attention-sinks-probe"][:limit]


def test_a_configured_tag_authority_keeps_ids_when_the_site_moves(tmp_path: Path) -> None:
    from conftest import write_journal

    ids = []
    for base in ("https://a.example.org/", "https://b.example.org/journal/"):
        files = journal_files()
        files["mirror.toml"] = str(files["mirror.toml"]) + 'tag_authority = "mirror.example.org,2026"\n'
        root = tmp_path / str(len(ids))
        write_journal(root, files)
        run(root, jobs=1, base_url=base)
        feed = json.loads((root / "site/feed.json").read_text(encoding="utf-8"))
        ids.append([item["id"] for item in feed["items"]])
    assert ids[0] == ids[1]
    assert ids[0][0] == "tag:mirror.example.org,2026:papers/full-metadata-paper/"
