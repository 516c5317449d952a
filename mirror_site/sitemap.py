"""Output: `sitemap.xml` (sitemaps.org 0.9), computed as entries first, then rendered. Past
`sitemap_max_urls` URLs or 50 MB a file becomes `sitemap.xml` as a sitemap index over
`sitemap-N.xml` shards, which sit at the site root: a sitemap may only list URLs below its folder.
`lastmod` comes from the papers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from xml.sax.saxutils import escape

from .assemble import PublishedPaper, Site
from .config import Config
from .listings import Listing
from .model import OutputFile
from .records import last_changed
from .urls import paper_dir, site_url

MAX_BYTES = 50 * 1024 * 1024  # the protocol's limit on an uncompressed sitemap file
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP = "sitemap.xml"
_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NS}">\n'
_TAIL = "</urlset>\n"


@dataclass(frozen=True)
class Entry:
    loc: str  #: absolute URL
    lastmod: str = ""  #: YYYY-MM-DD, or "" when no paper dates the page


def _paper_entry(entry: PublishedPaper, config: Config) -> Entry:
    return Entry(site_url(config.base_url, paper_dir(entry.paper.slug)), last_changed(entry.paper))


def entries(site: Site, listed: Sequence[Listing]) -> list[Entry]:
    """Every HTML page meant to be found: the home page, each paper, each listing's front page
    (its numbered pages are reached from there). `lastmod` is the newest date of the papers shown."""
    papers = {e.paper.slug: site.remember("sitemap-entry", e, partial(_paper_entry, e, site.config)) for e in site.papers}
    found = [Entry(site.config.base_url, max((p.lastmod for p in papers.values()), default=""))]
    found += [papers[slug] for slug in sorted(papers)]
    found += [Entry(site_url(site.config.base_url, listing.folder), max(papers[e.paper.slug].lastmod for e in listing.papers))
              for listing in sorted(listed, key=lambda listing: listing.folder) if listing.papers]
    return found


def _url(entry: Entry) -> str:
    lastmod = f"<lastmod>{entry.lastmod}</lastmod>" if entry.lastmod else ""
    return f"<url><loc>{escape(entry.loc)}</loc>{lastmod}</url>\n"


def shards(found: list[Entry], max_urls: int) -> list[list[Entry]]:
    """Cut the entries into files of at most `max_urls` URLs and `MAX_BYTES` bytes."""
    cut: list[list[Entry]] = [[]]
    size = len(_HEAD) + len(_TAIL)
    for entry in found:
        grows = len(_url(entry).encode("utf-8"))
        if cut[-1] and (len(cut[-1]) >= max_urls or size + grows > MAX_BYTES):
            cut.append([])
            size = len(_HEAD) + len(_TAIL)
        cut[-1].append(entry)
        size += grows
    return cut


def urlset(part: list[Entry]) -> bytes:
    return (_HEAD + "".join(_url(e) for e in part) + _TAIL).encode("utf-8")


def sitemap_files(site: Site, found: Sequence[Listing]) -> Iterator[OutputFile]:
    """`found`: the site's listings, computed once by the build for the pages, feeds and sitemap."""
    parts = shards(entries(site, found), site.config.sitemap_max_urls)
    if len(parts) == 1:
        yield OutputFile(SITEMAP, urlset(parts[0]))
        return
    index = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NS}">\n']
    for number, part in enumerate(parts, start=1):
        name = f"sitemap-{number}.xml"
        yield OutputFile(name, urlset(part))
        lastmod = max((e.lastmod for e in part if e.lastmod), default="")
        index.append(f"<sitemap><loc>{escape(site_url(site.config.base_url, name))}</loc>"
                     + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</sitemap>\n")
    yield OutputFile(SITEMAP, ("".join(index) + "</sitemapindex>\n").encode("utf-8"))


def sitemap_urls(site: Site) -> list[str]:
    """The URL crawlers should start from (robots.txt names it)."""
    return [site_url(site.config.base_url, SITEMAP)]
