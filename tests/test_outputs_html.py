"""What crawlers see in the HTML: every page passes the Nu Html Checker with 0 errors, and each
paper's `<head>` carries complete schema.org JSON-LD, Open Graph, Dublin Core and Highwire tags."""

from __future__ import annotations

import json
from pathlib import Path

import extruct
from machine_outputs import BASE_URL, PUBLISHED, html_pages, node_file, run_tool, tool

from mirror_site.config import Config
from mirror_site.fields import FINDINGS

pytest_plugins = ["outputs_fixture"]  # the session-scoped `site` fixture


def test_every_page_passes_the_nu_html_checker(site: Path) -> None:
    """One checker process for the whole folder (`--skip-non-html`): errors only, JSON output."""
    pages = html_pages(site)
    assert {site / "papers" / slug / "index.html" for slug in PUBLISHED} | {site / "index.html", site / "404.html"} <= set(pages)
    vnu = node_file("vnu-jar/build/dist/vnu.jar")
    result = run_tool(tool("java"), "-jar", vnu, "--errors-only", "--skip-non-html", "--format", "json", site)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [f"{m.get('url')}:{m.get('lastLine')}: {m['message']}" for m in messages if m["type"] == "error"]
    assert errors == [], "\n".join(errors)
    assert result.returncode == 0, result.stderr[-2000:]


def _extract(site: Path, slug: str) -> dict[str, list[dict[str, object]]]:
    html = (site / "papers" / slug / "index.html").read_text(encoding="utf-8")
    data: dict[str, list[dict[str, object]]] = extruct.extract(
        html, base_url=BASE_URL + f"papers/{slug}/", syntaxes=["json-ld", "opengraph", "dublincore"], uniform=True)
    return data


def _meta(site: Path, slug: str) -> list[tuple[str, str]]:
    """`(name, content)` of every `<meta name>` in the page, in order, as a Highwire reader sees them."""
    from lxml import html as lxml_html

    tree = lxml_html.parse(str(site / "papers" / slug / "index.html"))
    return [(m.get("name"), m.get("content")) for m in tree.iter("meta") if m.get("name")]


def test_json_ld_is_a_complete_scholarly_article(site: Path) -> None:
    article = _extract(site, "full-metadata-paper")["json-ld"]
    assert len(article) == 1
    data = article[0]
    assert data["@type"] == "ScholarlyArticle"
    required = {"headline", "name", "abstract", "author", "datePublished", "dateModified", "license", "url",
                "publisher", "isPartOf", "inLanguage", "keywords", "encoding"}
    assert required <= set(data), required - set(data)
    assert data["url"] == BASE_URL + "papers/full-metadata-paper/"
    assert data["datePublished"] == "2026-03-04" and data["dateModified"] == "2026-03-20"
    authors = data["author"]
    assert isinstance(authors, list)
    assert [a["@type"] for a in authors] == ["SoftwareApplication", "Person"]
    assert authors[0]["softwareVersion"] == "agent-model-3 (2026-01)"
    assert authors[1]["sameAs"] == "https://orcid.org/0000-0002-1825-0097"
    assert data["license"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert data["isPartOf"]["isPartOf"]["isPartOf"]["name"] == "Fixture Journal"  # issue → volume → journal
    assert {e["encodingFormat"] for e in data["encoding"]} == {"text/markdown", "application/json"}
    # Characters that could break out of the <script> element are escaped by |tojson.
    raw = (site / "papers/full-metadata-paper/index.html").read_text(encoding="utf-8")
    assert "<GPT-2>" not in raw.split('application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert data["headline"] == "Every field: SAE features & circuits in <GPT-2> small"


def test_open_graph_and_dublin_core_are_found_and_complete(site: Path) -> None:
    for slug in PUBLISHED:
        data = _extract(site, slug)
        og = data["opengraph"][0]
        assert og.get("@type") == "article", slug  # extruct (uniform) reports og:type as @type
        for key in ("og:title", "og:description", "og:url", "og:site_name", "article:published_time"):
            assert og.get(key), (slug, key)
        assert og["og:url"] == BASE_URL + f"papers/{slug}/"
        dc = {e["name"]: e["content"] for e in data["dublincore"][0]["elements"]}
        for key in ("DC.title", "DC.creator", "DC.date", "DC.language", "DC.publisher", "DC.identifier", "DC.rights",
                    "DC.description"):
            assert dc.get(key), (slug, key)


def test_highwire_citation_tags(site: Path) -> None:
    tags = _meta(site, "full-metadata-paper")
    names = [name for name, _ in tags]
    values = dict(tags)
    assert values["citation_title"].startswith("Every field")
    # One citation_author per author, each followed by its own institution and ORCID.
    assert [c for n, c in tags if n == "citation_author"] == ["Circuit Agent", "María José van der Berg"]
    second = names.index("citation_author", names.index("citation_author") + 1)
    assert names[second + 1:second + 4] == ["citation_author_institution"] * 2 + ["citation_author_orcid"]
    assert values["citation_publication_date"] == "2026/03/04"
    assert values["citation_journal_title"] == "Fixture Journal"
    assert values["citation_volume"] == "2026" and values["citation_issue"] == "3"
    assert values["citation_abstract_html_url"] == BASE_URL + "papers/full-metadata-paper/"
    assert values["citation_doi"] == "10.1234/mirror.5678"
    assert values["twitter:card"] == "summary"


def test_links_in_the_head(site: Path) -> None:
    from lxml import html as lxml_html

    for slug in PUBLISHED:
        tree = lxml_html.parse(str(site / "papers" / slug / "index.html"))
        links = {(link.get("rel"), link.get("type") or ""): link.get("href") for link in tree.iter("link")}
        assert links[("canonical", "")] == BASE_URL + f"papers/{slug}/"
        assert links[("license", "")].startswith("https://creativecommons.org/")
        assert links[("alternate", "text/markdown")] == f"/sub/path/papers/{slug}/paper.md"
        assert links[("alternate", "application/json")] == f"/sub/path/papers/{slug}/paper.json"
        assert links[("alternate", "application/atom+xml")] == "/sub/path/feed.atom"
    assert "negative" in FINDINGS and Config().feed_entries > 0
