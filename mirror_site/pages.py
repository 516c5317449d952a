"""Output: the HTML pages people read (paper pages, the home page, the 404 page)."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import jinja2

from .assemble import PublishedPaper, Site
from .cite import bibtex, formatted_citation
from .jsonfile import dumps
from .listings import GROUPS, Listing, Page
from .metadata import head_meta
from .model import OutputFile
from .urls import absolute, paper_dir
from .views import PaperView, paper_view, site_view, summary_view

#: Mirror's own theme: the `templates/` folder of the checkout this package runs from.
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HOME_PAPERS = 20  #: the newest papers on the home page


@dataclass
class TemplateFault(Exception):
    """A broken site template: a site-level fault that fails the build."""

    path: str
    line: int
    message: str

    def __reduce__(self) -> tuple[type[TemplateFault], tuple[str, int, str]]:
        return (TemplateFault, (self.path, self.line, self.message))  # raised in a worker, re-raised in the build


@functools.lru_cache(maxsize=4)
def cached_environment(templates: Path, version: str) -> jinja2.Environment:
    """One environment (and so one compilation of each template) per process and per version of
    the templates: a worker renders many papers' pages with it."""
    return environment(templates)


def environment(templates: Path) -> jinja2.Environment:
    """The journal's templates first, then Mirror's own for any the journal does not override."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(templates), str(DEFAULT_TEMPLATES)]), autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )


def _fault(exc: Exception, templates: Path) -> TemplateFault:
    """Name the template file and line that failed, from the exception or Jinja's rewritten traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateFault(f"templates/{exc.name or exc.filename}", exc.lineno, exc.message or str(exc))
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        for folder in (templates, DEFAULT_TEMPLATES):
            if frame.filename.startswith(str(folder)):
                return TemplateFault(str(Path(frame.filename).relative_to(folder.parent)), frame.lineno or 0, str(exc))
    return TemplateFault("templates", 0, f"{type(exc).__name__}: {exc}")


def render_template(env: jinja2.Environment, name: str, templates: Path, **context: Any) -> bytes:
    try:
        return env.get_template(name).render(**context).encode("utf-8")
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise _fault(exc, templates) from exc


def review_pages(env: jinja2.Environment, templates: Path, view: PaperView, context: dict[str, Any]) -> Iterator[OutputFile]:
    """All of a paper's reviews on one page, each on its own page, and each as JSON."""
    base = paper_dir(view.slug) + "reviews/"
    yield OutputFile(base + "index.html", render_template(env, "reviews.html", templates, paper=view, review=None, **context))
    for review in view.reviews:
        yield OutputFile(f"{base}{review.name}/index.html",
                         render_template(env, "reviews.html", templates, paper=view, review=review, **context))
        record = {"paper": view.slug, "paper_url": view.url, "name": review.name, "date": review.date,
                  "reviewer": {"name": review.reviewer, "kind": review.kind, **({"model": review.model} if review.model else {})},
                  "recommendation": review.recommendation, "scale": review.scale,
                  "scores": {c: {"score": n, "label": label} for c, n, label in review.scores},
                  "report_html": str(review.html)}
        yield OutputFile(f"{base}{review.name}/review.json", dumps(record))


def listing_page(env: jinja2.Environment, templates: Path, site: Site, listing: Listing, page: Page) -> OutputFile:
    """One page of a listing."""
    return OutputFile(page.path, render_template(
        env, "listing.html", templates, site=site_view(site.config), title=listing.title, description=listing.description,
        folder=site.config.base_path + listing.folder, number=page.number, numbers=page.numbers, about=listing.about,
        papers=[summary_view(e.paper, site.config) for e in page.papers]))


def listing_indexes(env: jinja2.Environment, templates: Path, site: Site, found: list[Listing]) -> Iterator[OutputFile]:
    """One index page per group of listings (all topics, all models, …)."""
    journal, base = site_view(site.config), site.config.base_path
    for group, (title, description) in GROUPS.items():
        terms = [(entry.label if group != "findings" else entry.label.replace("-", " "), base + entry.folder, len(entry.papers))
                 for entry in found if entry.group == group]
        yield OutputFile(f"{group}/index.html", render_template(
            env, "listing_index.html", templates, site=journal, title=title, description=description, terms=terms))


def paper_pages(site: Site, templates: Path, env: jinja2.Environment, entry: PublishedPaper) -> Iterator[OutputFile]:
    """A paper's page, its reviews, the pages of its earlier versions and redirects from its aliases.
    `entry` must be complete (`Site.full`): the page shows its whole body."""
    journal = site_view(site.config)
    view = paper_view(entry, site)
    context = {"site": journal, "head": head_meta(entry, site.config),
               "cite": {"text": formatted_citation(entry.paper, site.config), "bibtex": bibtex(entry.paper, site.config)}}
    yield OutputFile(paper_dir(view.slug) + "index.html",
                     render_template(env, "paper.html", templates, paper=view, **context))
    if view.reviews and entry.paper.status != "withdrawn":
        yield from review_pages(env, templates, view, context)
    for old in entry.earlier:
        old_view = paper_view(old, site, latest=entry)
        yield OutputFile(f"{paper_dir(view.slug)}v{old.paper.version}/index.html",
                         render_template(env, "paper.html", templates, paper=old_view, **context))
    for alias in entry.paper.meta.get("aliases", []):
        yield OutputFile(paper_dir(alias) + "index.html", render_template(
            env, "redirect.html", templates, site=journal, title=view.title, target=view.url,
            canonical=absolute(site.config.base_url, site.config.base_path, view.url)))


def home_pages(site: Site, templates: Path, env: jinja2.Environment) -> Iterator[OutputFile]:
    """The home page (the newest papers) and the 404 page."""
    journal = site_view(site.config)
    shown = islice((entry for entry in site.papers if entry.paper.status != "withdrawn"), HOME_PAPERS)
    latest = [summary_view(entry.paper, site.config) for entry in shown]
    groups = [(GROUPS[g][0], f"{site.config.base_path}{g}/") for g in GROUPS]
    yield OutputFile("index.html", render_template(env, "index.html", templates, site=journal, papers=latest,
                                                   groups=groups))
    yield OutputFile("404.html", render_template(env, "404.html", templates, site=journal))
