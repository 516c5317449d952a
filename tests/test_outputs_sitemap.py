"""Sitemaps against the official sitemaps.org XSDs (lxml), sharded into an index past the
configured number of URLs, and robots.txt as an RFC 9309 parser (protego) reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from machine_outputs import BASE_URL, FIXTURES, PUBLISHED, build_fixture, node_file
from protego import Protego

pytest_plugins = ["outputs_fixture"]  # the session-scoped `site` fixture

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
CRAWLERS = ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "*", "Googlebot", "SomeNewBot")


def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def _valid(schema: etree.XMLSchema, file: Path) -> None:
    document = etree.parse(str(file))
    assert schema.validate(document), f"{file.name}: {schema.error_log}"


def test_sitemap_passes_the_official_xsd(site: Path) -> None:
    _valid(_schema(node_file("sitemap/schema/sitemap.xsd")), site / "sitemap.xml")
    urls = etree.parse(str(site / "sitemap.xml")).getroot().findall(f"{NS}url")
    locs = {u.findtext(f"{NS}loc"): u.findtext(f"{NS}lastmod") for u in urls}
    assert {BASE_URL} | {BASE_URL + f"papers/{slug}/" for slug in PUBLISHED} <= set(locs)
    assert locs[BASE_URL + "papers/full-metadata-paper/"] == "2026-03-20"  # `updated`, from the paper
    assert locs[BASE_URL] == "2026-03-20"
    assert locs[BASE_URL + "findings/negative/"] == "2026-02-10"  # a listing: its newest paper's date
    for loc in locs:  # every URL is a page of the site
        assert (site / loc.removeprefix(BASE_URL) / "index.html").is_file(), loc


def test_xsd_rejects_a_broken_sitemap(tmp_path: Path) -> None:
    bad = tmp_path / "sitemap.xml"
    bad.write_text('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><lastmod>yesterday</lastmod>'
                   "</url></urlset>", encoding="utf-8")
    assert not _schema(node_file("sitemap/schema/sitemap.xsd")).validate(etree.parse(str(bad)))
    index = tmp_path / "index.xml"
    index.write_text('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><lastmod>2026-01-01'
                     "</lastmod></sitemap></sitemapindex>", encoding="utf-8")
    assert not _schema(FIXTURES / "siteindex.xsd").validate(etree.parse(str(index)))


@pytest.mark.parametrize("per_file", [1, 2])
def test_sitemap_becomes_an_index_past_the_configured_size(site: Path, tmp_path: Path, per_file: int) -> None:
    out = build_fixture(tmp_path, extra_config=f"sitemap_max_urls = {per_file}\n")
    index = etree.parse(str(out / "sitemap.xml")).getroot()
    _valid(_schema(FIXTURES / "siteindex.xsd"), out / "sitemap.xml")
    assert index.tag == f"{NS}sitemapindex"
    shards = [s.findtext(f"{NS}loc") or "" for s in index.findall(f"{NS}sitemap")]
    every = [u.findtext(f"{NS}loc") or "" for u in etree.parse(str(site / "sitemap.xml")).getroot().findall(f"{NS}url")]
    expected = -(-len(every) // per_file)
    assert shards == [BASE_URL + f"sitemap-{n}.xml" for n in range(1, expected + 1)]
    schema = _schema(node_file("sitemap/schema/sitemap.xsd"))
    found: list[str] = []
    for url in shards:
        shard = out / url.removeprefix(BASE_URL)
        _valid(schema, shard)
        locs = [u.findtext(f"{NS}loc") or "" for u in etree.parse(str(shard)).getroot().findall(f"{NS}url")]
        assert 1 <= len(locs) <= per_file
        found += locs
    assert found == every  # the same URLs, in the same order, as the unsharded sitemap
    robots = Protego.parse((out / "robots.txt").read_text(encoding="utf-8"))
    assert list(robots.sitemaps) == [BASE_URL + "sitemap.xml"]  # the index, which names the shards


def test_robots_invites_search_and_ai_crawlers_to_every_paper(site: Path) -> None:
    text = (site / "robots.txt").read_text(encoding="utf-8")
    robots = Protego.parse(text)
    for agent in CRAWLERS:
        for slug in PUBLISHED:
            for name in ("", "paper.md", "paper.json"):
                assert robots.can_fetch(BASE_URL + f"papers/{slug}/{name}", agent), (agent, slug, name)
        assert robots.can_fetch(BASE_URL + "corpus/papers.jsonl", agent)
    assert list(robots.sitemaps) == [BASE_URL + "sitemap.xml"]
    # Named crawlers are invited by name, in the one group that holds every rule (groups do not inherit).
    agents = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("User-agent:")]
    assert {"GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "*"} <= set(agents)
    groups = text.split("\n\n")
    assert sum("User-agent:" in g for g in groups) == 1
    assert not any(line.startswith("Disallow:") and line.split(":", 1)[1].strip() for line in text.splitlines())
