"""Output: the HTML pages people read (paper pages, the home page, the 404 page)."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .assemble import Site, paper_view, site_view
from .model import OutputFile
from .urls import paper_dir

#: Mirror's own theme: the `templates/` folder of the checkout this package runs from.
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass
class TemplateFault(Exception):
    """A broken site template: a site-level fault that fails the build."""

    path: str
    line: int
    message: str


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


def pages(site: Site, templates: Path) -> Iterator[OutputFile]:
    env = environment(templates)
    journal = site_view(site.config)
    for entry in site.papers:
        view = paper_view(entry, site.config)
        yield OutputFile(paper_dir(view.slug) + "index.html",
                         render_template(env, "paper.html", templates, site=journal, paper=view))
    latest = [paper_view(entry, site.config) for entry in site.papers]
    yield OutputFile("index.html", render_template(env, "index.html", templates, site=journal, papers=latest))
    yield OutputFile("404.html", render_template(env, "404.html", templates, site=journal))
