"""The machine-readable `<head>` of a paper page, as data for `templates/head_meta.html`:
schema.org `ScholarlyArticle` JSON-LD, Highwire Press `citation_*` tags (what Google Scholar and
Zotero read), Dublin Core, Open Graph and Twitter cards, and the canonical, licence and alternate
links. Pure: the paper and the configuration in, a `HeadMeta` out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .assemble import PublishedPaper, license_url
from .cite import cite_key, paper_link, volume_and_issue
from .config import Config
from .model import Author
from .records import last_changed
from .urls import paper_dir, paper_url, site_url

SHORT = 200  # social cards cut descriptions around here; longer text is truncated by them anyway


@dataclass(frozen=True)
class Tag:
    attribute: str  #: `name` (Highwire, Dublin Core, Twitter) or `property` (Open Graph)
    key: str
    content: str


@dataclass(frozen=True)
class Link:
    rel: str
    href: str
    type: str = ""


@dataclass(frozen=True)
class HeadMeta:
    """What `head_meta.html` writes; `json_ld` is serialised there with Jinja's `tojson`."""

    links: tuple[Link, ...]
    tags: tuple[Tag, ...]
    json_ld: Mapping[str, Any]


def _short(text: str) -> str:
    return text if len(text) <= SHORT else text[: SHORT - 1].rsplit(" ", 1)[0] + "…"


def _agent(author: Author) -> dict[str, Any]:
    """People are `Person`s; AI authors are `SoftwareApplication`s named with their model, because
    schema.org has no type for an AI author and calling one a Person would misinform readers."""
    if author.kind == "ai":
        return {"@type": "SoftwareApplication", "name": author.name, "softwareVersion": author.model,
                "applicationCategory": "AI system"}
    person: dict[str, Any] = {"@type": "Person", "name": author.name}
    if author.orcid:
        person["identifier"] = person["sameAs"] = f"https://orcid.org/{author.orcid}"
    if author.affiliations:
        person["affiliation"] = [{"@type": "Organization", "name": name} for name in author.affiliations]
    return person


def json_ld(entry: PublishedPaper, config: Config, abstract: str) -> dict[str, Any]:
    paper = entry.paper
    url = site_url(config.base_url, paper_dir(paper.slug))
    volume, issue = volume_and_issue(paper.date)
    journal = {"@type": "Periodical", "name": config.title, "url": config.base_url,
               "publisher": {"@type": "Organization", "name": config.publisher}}
    article: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "ScholarlyArticle", "@id": url, "url": url,
        "mainEntityOfPage": url, "headline": paper.title[:110], "name": paper.title, "abstract": abstract,
        "author": [_agent(a) for a in paper.authors], "datePublished": paper.date,
        "dateModified": last_changed(paper), "inLanguage": config.language, "license": license_url(paper.license),
        "isAccessibleForFree": True, "keywords": list(paper.keywords), "version": str(paper.version),
        "publisher": {"@type": "Organization", "name": config.publisher, "url": config.base_url},
        "isPartOf": {"@type": "PublicationIssue", "issueNumber": issue, "isPartOf": {
            "@type": "PublicationVolume", "volumeNumber": volume, "isPartOf": journal}},
        "identifier": [{"@type": "PropertyValue", "propertyID": "mirror", "value": cite_key(paper)}],
        "encoding": [{"@type": "MediaObject", "encodingFormat": kind, "contentUrl": url + name}
                     for name, kind in (("paper.md", "text/markdown"), ("paper.json", "application/json"))],
        "creativeWorkStatus": paper.status.capitalize(),
    }
    if paper.doi:
        article["identifier"].append({"@type": "PropertyValue", "propertyID": "doi", "value": paper.doi})
        article["sameAs"] = paper_link(paper, config)
    if paper.methods:
        article["about"] = [{"@type": "DefinedTerm", "name": method} for method in paper.methods]
    models = paper.meta.get("subject_models", [])
    if models:
        article["mentions"] = [{"@type": "SoftwareApplication", "name": m["name"],
                                **({"softwareVersion": m["revision"]} if "revision" in m else {})} for m in models]
    return article


def _highwire(entry: PublishedPaper, config: Config, url: str) -> list[tuple[str, str]]:
    paper = entry.paper
    volume, issue = volume_and_issue(paper.date)
    tags = [("citation_title", paper.title)]
    for author in paper.authors:
        tags.append(("citation_author", author.name))  # each author's details follow its own tag
        tags += [("citation_author_institution", name) for name in author.affiliations]
        if author.orcid:
            tags.append(("citation_author_orcid", f"https://orcid.org/{author.orcid}"))
    tags += [("citation_publication_date", paper.date.replace("-", "/")), ("citation_online_date", paper.date.replace("-", "/")),
             ("citation_journal_title", config.title), ("citation_publisher", config.publisher),
             ("citation_volume", volume), ("citation_issue", issue), ("citation_abstract_html_url", url),
             ("citation_fulltext_html_url", url), ("citation_language", config.language)]
    tags += [("citation_keywords", k) for k in paper.keywords]
    if paper.doi:
        tags.append(("citation_doi", paper.doi))
    if paper.arxiv:
        tags.append(("citation_arxiv_id", paper.arxiv))
    return tags


def _dublin_core(entry: PublishedPaper, config: Config, url: str, abstract: str) -> list[tuple[str, str]]:
    paper = entry.paper
    tags = [("DC.title", paper.title)] + [("DC.creator", a.name) for a in paper.authors]
    tags += [("DC.date", paper.date), ("DCTERMS.issued", paper.date), ("DCTERMS.modified", last_changed(paper)),
             ("DC.language", config.language), ("DC.publisher", config.publisher), ("DC.type", "Text"),
             ("DC.format", "text/html"), ("DC.identifier", url), ("DC.rights", license_url(paper.license)),
             ("DCTERMS.license", license_url(paper.license)), ("DC.description", abstract)]
    if paper.doi:
        tags.append(("DC.identifier", f"doi:{paper.doi}"))
    return tags + [("DC.subject", k) for k in paper.keywords]


def head_meta(entry: PublishedPaper, config: Config) -> HeadMeta:
    paper = entry.paper
    url = site_url(config.base_url, paper_dir(paper.slug))
    local = paper_url(config.base_path, paper.slug)
    abstract = entry.body.abstract_text
    links = (Link("canonical", url), Link("license", license_url(paper.license)),
             Link("cite-as", paper_link(paper, config)),
             Link("alternate", local + "paper.md", "text/markdown"), Link("alternate", local + "paper.json", "application/json"),
             Link("schema.DC", "http://purl.org/dc/elements/1.1/"), Link("schema.DCTERMS", "http://purl.org/dc/terms/"))
    named = _highwire(entry, config, url) + _dublin_core(entry, config, url, abstract)
    social = [("og:type", "article"), ("og:title", paper.title), ("og:description", _short(abstract)), ("og:url", url),
              ("og:site_name", config.title), ("article:published_time", paper.date),
              ("article:modified_time", last_changed(paper))]
    social += [("article:author", a.name) for a in paper.authors] + [("article:tag", k) for k in paper.keywords]
    twitter = [("twitter:card", "summary"), ("twitter:title", paper.title), ("twitter:description", _short(abstract))]
    tags = ([Tag("name", k, v) for k, v in named] + [Tag("property", k, v) for k, v in social]
            + [Tag("name", k, v) for k, v in twitter])
    return HeadMeta(links, tuple(tags), json_ld(entry, config, abstract))
