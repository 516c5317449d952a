"""Output: the site's feeds, Atom 1.0 (`feed.atom`), RSS 2.0 (`feed.xml`) and JSON Feed 1.1
(`feed.json`), newest papers first. Ids are `tag:` URIs that never change; every date comes from
the papers (an empty feed says 1970), never from the build clock, so rebuilding changes nothing.

`feed_set` is the reusable part: a listing (topic, finding, …) gets its own feeds from it.
"""

from __future__ import annotations

import datetime
import email.utils
import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from . import __version__
from .assemble import PublishedPaper, Site
from .jsonfile import dumps
from .model import OutputFile, Paper
from .records import last_changed, paper_urls
from .urls import paper_dir, site_url, tag_uri

EPOCH = "1970-01-01"  # the `updated` of a feed with no entries: a fixed date, not the build's


@dataclass(frozen=True)
class Feed:
    """What one feed shows, in all three formats."""

    folder: str  #: site-relative folder of the feed files and of the page they accompany ("" = home)
    title: str
    description: str
    entries: tuple[PublishedPaper, ...]  #: newest first, already cut to length
    id_year: str  #: year of the `tag:` id when mirror.toml sets no `tag_authority`


def iso(date: str) -> str:
    return f"{date}T00:00:00Z"


def rfc822(date: str) -> str:
    day = datetime.datetime.fromisoformat(date).replace(tzinfo=datetime.UTC)
    return email.utils.format_datetime(day, usegmt=True)


def entry_id(site: Site, paper: Paper) -> str:
    return tag_uri(site.config.base_url, site.config.tag_authority, paper.date[:4], paper_dir(paper.slug))


def display_title(paper: Paper) -> str:
    """Retractions and withdrawals must be visible wherever the title travels."""
    return {"retracted": "Retracted: ", "withdrawn": "Withdrawn: "}.get(paper.status, "") + paper.title


def summary(entry: PublishedPaper) -> str:
    if entry.paper.status == "withdrawn":
        return str(entry.paper.meta.get("retraction", {}).get("reason", "This paper was withdrawn."))
    return entry.body.abstract_text


def _el(tag: str, text: str, **attrs: str) -> str:
    rendered = "".join(f" {name.replace('_', ':')}={quoteattr(value)}" for name, value in attrs.items())
    return f"<{tag}{rendered}>{escape(text)}</{tag}>"


def _link(**attrs: str) -> str:
    return "<link" + "".join(f" {name}={quoteattr(value)}" for name, value in attrs.items()) + "/>"


def atom(site: Site, feed: Feed) -> bytes:
    config = site.config
    updated = max((last_changed(e.paper) for e in feed.entries), default=EPOCH)
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(config.language)}>',
           _el("id", tag_uri(config.base_url, config.tag_authority, feed.id_year, feed.folder + "feed.atom")),
           _el("title", feed.title), _el("subtitle", feed.description),
           _link(rel="self", type="application/atom+xml", href=site_url(config.base_url, feed.folder + "feed.atom")),
           _link(rel="alternate", type="text/html", href=site_url(config.base_url, feed.folder)),
           _el("updated", iso(updated)), f"<author>{_el('name', config.publisher)}</author>",
           _el("generator", "Mirror", version=__version__)]
    for entry in feed.entries:
        paper, urls = entry.paper, paper_urls(entry.paper.slug, config)
        out += ["<entry>", _el("id", entry_id(site, paper)), _el("title", display_title(paper)),
                _link(rel="alternate", type="text/html", href=urls["html"]),
                _link(rel="alternate", type="text/markdown", href=urls["markdown"]),
                _link(rel="alternate", type="application/json", href=urls["json"]),
                _el("published", iso(paper.date)), _el("updated", iso(last_changed(paper)))]
        out += [f"<author>{_el('name', a.name)}{_el('uri', 'https://orcid.org/' + a.orcid) if a.orcid else ''}</author>"
                for a in paper.authors]
        out += [f"<category term={quoteattr(k)}/>" for k in paper.keywords]
        if paper.finding:
            # The scheme names the vocabulary; a tag: id rather than a URL no page answers yet.
            scheme = tag_uri(config.base_url, config.tag_authority, feed.id_year, "findings")
            out.append(f"<category term={quoteattr(paper.finding)} scheme={quoteattr(scheme)} label=\"finding\"/>")
        out += [_el("summary", summary(entry)), _el("rights", paper.license), "</entry>"]
    return ("\n".join(out) + "\n</feed>\n").encode("utf-8")


def rss(site: Site, feed: Feed) -> bytes:
    config = site.config
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">',
           "<channel>", _el("title", feed.title), _el("link", site_url(config.base_url, feed.folder)),
           _el("description", feed.description), _el("language", config.language),
           f'<atom:link href={quoteattr(site_url(config.base_url, feed.folder + "feed.xml"))} rel="self" '
           'type="application/rss+xml"/>',
           _el("generator", f"Mirror {__version__}"), _el("docs", "https://www.rssboard.org/rss-specification")]
    if feed.entries:
        out.append(_el("pubDate", rfc822(max(e.paper.date for e in feed.entries))))
    for entry in feed.entries:
        paper, urls = entry.paper, paper_urls(entry.paper.slug, config)
        out += ["<item>", _el("title", display_title(paper)), _el("link", urls["html"]),
                _el("guid", entry_id(site, paper), isPermaLink="false"), _el("pubDate", rfc822(paper.date)),
                # An item's description is entity-encoded HTML to feed readers (RSS Best Practices
                # Profile): plain text is HTML-escaped first, so that `<script>` in an abstract stays text.
                _el("description", html.escape(summary(entry), quote=False))]
        out += [_el("dc:creator", a.name) for a in paper.authors]  # RSS's own <author> must be an e-mail
        out += [_el("category", k) for k in paper.keywords] + ["</item>"]
    return ("\n".join(out) + "\n</channel>\n</rss>\n").encode("utf-8")


def json_feed(site: Site, feed: Feed) -> bytes:
    config = site.config
    items: list[dict[str, Any]] = []
    for entry in feed.entries:
        paper, urls = entry.paper, paper_urls(entry.paper.slug, config)
        items.append({
            "id": entry_id(site, paper), "url": urls["html"], "title": display_title(paper),
            "summary": summary(entry), "content_text": summary(entry),
            "date_published": iso(paper.date), "date_modified": iso(last_changed(paper)),
            "authors": [{"name": a.name, **({"url": f"https://orcid.org/{a.orcid}"} if a.orcid else {})}
                        for a in paper.authors],
            "tags": list(paper.keywords), "language": config.language,
            "_mirror": {"markdown_url": urls["markdown"], "json_url": urls["json"], "license": paper.license,
                        "finding": paper.finding or None, "status": paper.status},
        })
    document = {"version": "https://jsonfeed.org/version/1.1", "title": feed.title,
                "home_page_url": site_url(config.base_url, feed.folder),
                "feed_url": site_url(config.base_url, feed.folder + "feed.json"), "description": feed.description,
                "language": config.language, "authors": [{"name": config.publisher, "url": config.base_url}],
                "items": items}
    return dumps(document)


def feed_set(site: Site, folder: str, title: str, description: str,
             papers: Sequence[PublishedPaper]) -> Iterator[OutputFile]:
    """The three feeds of `folder` (a listing's, or "" for the site), newest `feed_entries` papers."""
    oldest = site.first_date or EPOCH
    feed = Feed(folder, title, description, tuple(papers[: site.config.feed_entries]), oldest[:4])
    yield OutputFile(folder + "feed.atom", atom(site, feed))
    yield OutputFile(folder + "feed.xml", rss(site, feed))
    yield OutputFile(folder + "feed.json", json_feed(site, feed))


def feed_files(site: Site) -> Iterator[OutputFile]:
    yield from feed_set(site, "", site.config.title, site.config.description, site.papers)
