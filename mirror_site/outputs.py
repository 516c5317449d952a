"""Stage 4→5, the outputs: every file of the site, as groups named and fingerprinted by what they
are made from, in the order they are written. A group whose fingerprint matches the previous
site's is `Reused` (its files are hard-linked, nothing is computed); any other is `Made`, lazily,
one group at a time, so that memory holds a group, not a site. Each paper's own group is made in
the executor, several papers ahead of the writing; the whole-site outputs are made here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import Executor
from functools import partial
from pathlib import Path

import jinja2

from .assemble import PublishedPaper, Site
from .assets import static_files
from .corpus_plan import corpus_outputs
from .corpus_schema import schema_files
from .executor import chunk_size, run_ordered
from .feeds import feed_files, feed_set
from .fingerprint import engine_version, fingerprint, tree_digests
from .listings import Listing, Page, listings, paginate
from .llms import llms_files
from .manifest import Manifest
from .model import OutputFile
from .pages import DEFAULT_TEMPLATES, environment, home_pages, listing_indexes, listing_page
from .paper_outputs import group_key, job, paper_outputs
from .robots import robots_files
from .search import paper_record, search_files
from .sitemap import sitemap_files
from .write import Made, Reused


def templates_key(templates: Path) -> str:
    """Fingerprint of the journal's templates and Mirror's own (the fallback for any not overridden)."""
    folders = [folder for folder in (templates, DEFAULT_TEMPLATES) if folder.is_dir()]
    return fingerprint("templates", [(str(folder), tree_digests(folder)) for folder in folders])


def _decide(name: str, key: str, previous: Manifest | None) -> Reused | None:
    found = previous.group(name, key) if previous is not None else None
    return Reused(name, key, found) if found is not None else None


def paper_groups(site: Site, templates: Path, key: str, previous: Manifest | None, executor: Executor | None,
                 workers: int) -> Iterator[Made | Reused]:
    """Each paper's group: reused when unchanged, else made in the executor, in the site's order."""
    papers = site.by_slug()
    plan: list[tuple[str, str, Reused | None]] = []
    for entry in site.papers:
        name = "paper:" + entry.paper.slug
        group = group_key(entry, site, key, papers)
        plan.append((name, group, _decide(name, group, previous)))
    jobs = [job(entry, site, templates, key, papers) for entry, (_, _, reused) in zip(site.papers, plan, strict=True)
            if reused is None]
    made = run_ordered(executor, paper_outputs, jobs, chunk_size(len(jobs), workers), ahead=4 * workers)
    for name, group, reused in plan:
        yield reused if reused is not None else Made(name, group, next(made))


def listing_groups(site: Site, templates: Path, key: str, found: list[Listing],
                   previous: Manifest | None) -> Iterator[Made | Reused]:
    """Each page of each listing and each listing's feeds, fingerprinted by the papers they show."""
    env = environment(templates)
    common = (engine_version(), site.config_key, key)
    for listing in found:
        for page in paginate(listing.folder, listing.papers):
            name = "listing:" + page.path
            members = [entry.key for entry in page.papers]
            group = fingerprint("listing-page", common, listing.folder, listing.title, listing.description, listing.about, page.number,
                                page.numbers, members) if all(members) else ""
            yield _decide(name, group, previous) or Made(name, group, _listing_page(env, templates, site, listing, page))
        name = "feeds:" + listing.folder
        shown = [(entry.key, entry.body_key) for entry in listing.papers[: site.config.feed_entries]]
        group = fingerprint("feeds", common, listing.folder, listing.title, listing.description, site.first_date,
                            shown) if all(k for k, _ in shown) else ""
        yield _decide(name, group, previous) or Made(name, group, feed_set(
            site, listing.folder, f"{site.config.title}: {listing.title}", listing.description, listing.papers))
    yield Made("listing-indexes", "", listing_indexes(env, templates, site, found))
    yield Made("home", "", home_pages(site, templates, env))


def _listing_page(env: jinja2.Environment, templates: Path, site: Site, listing: Listing, page: Page) -> Iterator[OutputFile]:
    yield listing_page(env, templates, site, listing, page)  # a generator: made only when the writer gets to it


def site_outputs(site: Site, root: Path, previous: Manifest | None, executor: Executor | None,
                 workers: int) -> Iterator[Made | Reused]:
    """Every output of the site, group by group."""
    templates = root / "templates"
    key = templates_key(templates)
    found = listings(site)
    corpus = corpus_outputs(site, previous, executor, workers)  # its shards are made meanwhile, in the executor
    yield from paper_groups(site, templates, key, previous, executor, workers)
    yield from listing_groups(site, templates, key, found, previous)
    # Generators: each group's files are made when the writer reaches it, not before.
    yield Made("static", "", static_files(root / "static"))
    yield Made("feeds", "", feed_files(site))
    yield Made("sitemap", "", sitemap_files(site, found))
    yield Made("robots", "", robots_files(site))
    yield Made("llms", "", llms_files(site))
    yield from corpus
    yield Made("schema", "", schema_files(site.config))
    name, group = "search", search_key(site, key)
    yield _decide(name, group, previous) or Made(name, group, search_files(site, templates))


def search_key(site: Site, templates_key: str) -> str:
    """Search indexes each paper's record (title, authors and their models, date, abstract, keywords,
    models, methods, finding, status), in the site's order: a body-only edit leaves it as it was."""
    def record(entry: PublishedPaper) -> str:  # encoded by json in C: fast for 10,000 papers
        return json.dumps([paper_record(entry, site.config.base_path), [(a.name, a.model) for a in entry.paper.authors]],
                          sort_keys=True, ensure_ascii=False)

    records = "\n".join(site.remember("search-record", entry, partial(record, entry)) for entry in site.papers)
    digest = hashlib.sha256(records.encode("utf-8")).hexdigest()
    return fingerprint("search", engine_version(), site.config_key, templates_key, digest)
