"""The benchmark journal as Hugo's and Pelican's input: the same papers, figures and metadata,
with each tool configured for what Mirror does that it can do — a page per paper, keyword (tag)
listings paginated by 50 as Mirror's are, feeds for the site and for each keyword, a sitemap,
syntax highlighting with CSS classes, and TeX passed through to the page (neither renders math on
the server, and neither knows citations, cross-references, BibTeX or the machine outputs)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

HUGO_CONFIG = """baseURL: https://bench.example.org/
title: Mirror benchmark
languageCode: en
disableKinds: [robotsTXT, 404]
taxonomies:
  tag: tags
pagination:
  pagerSize: 50
services:
  rss:
    limit: 50
markup:
  goldmark:
    extensions:
      passthrough:
        enable: true
        delimiters:
          block: [['$$', '$$']]
          inline: [['$', '$']]
  highlight:
    codeFences: true
    noClasses: false
"""
HUGO_LAYOUTS = {
    "baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title>
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">{{ end }}
</head><body><header><a href="/">{{ site.Title }}</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p>{{ range .Params.authors }}<span>{{ .name }}</span> {{ end }}</p><time>{{ .Date.Format "2006-01-02" }}</time>
<p class="abstract">{{ .Params.abstract }}</p>
<ul>{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
{{ .Content }}</article>{{ end }}
""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $pages := .Pages }}{{ if .IsHome }}{{ $pages = site.RegularPages }}{{ end }}
{{ $pager := .Paginate $pages }}
{{ range $pager.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></h2>
<time>{{ .Date.Format "2006-01-02" }}</time><p>{{ .Params.abstract }}</p></article>{{ end }}
<nav>{{ with $pager.Prev }}<a href="{{ .URL }}">newer</a>{{ end }} {{ with $pager.Next }}<a href="{{ .URL }}">older</a>{{ end }}</nav>
{{ end }}
""",
}
PELICAN_CONFIG = """AUTHOR = "Mirror"
SITENAME = "Mirror benchmark"
SITEURL = "https://bench.example.org"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
ARTICLE_PATHS = [""]
STATIC_PATHS = [""]
ARTICLE_URL = "papers/{slug}/"
ARTICLE_SAVE_AS = "papers/{slug}/index.html"
DEFAULT_PAGINATION = 50
TAG_URL = "topics/{slug}/"
TAG_SAVE_AS = "topics/{slug}/index.html"
TAGS_SAVE_AS = "topics/index.html"
CATEGORY_SAVE_AS = CATEGORIES_SAVE_AS = AUTHOR_SAVE_AS = AUTHORS_SAVE_AS = ARCHIVES_SAVE_AS = ""
FEED_ALL_ATOM = "feed.atom"
TAG_FEED_ATOM = "topics/{slug}/feed.atom"
CATEGORY_FEED_ATOM = AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = 50
RELATIVE_URLS = False
PLUGINS = ["pelican.plugins.sitemap"]
SITEMAP = {"format": "xml"}
"""


def _split(text: str) -> tuple[dict[str, object], str]:
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def _copy_files(folder: Path, target: Path) -> None:
    for file in folder.iterdir():
        if file.name not in ("paper.md", "references.bib"):
            shutil.copyfile(file, target / file.name)


def to_hugo(journal: Path, site: Path) -> Path:
    """A Hugo site: `content/<slug>/index.md` page bundles with the figures beside them."""
    shutil.rmtree(site, ignore_errors=True)
    (site / "layouts").mkdir(parents=True)
    (site / "hugo.yaml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        (site / "layouts" / name).write_text(text, encoding="utf-8")
    for folder in sorted((journal / "papers").iterdir()):
        meta, body = _split((folder / "paper.md").read_text(encoding="utf-8"))
        front = {"title": meta["title"], "date": str(meta["date"]), "tags": meta.get("keywords", []),
                 "abstract": meta["abstract"], "authors": [{"name": a["name"]} for a in meta["authors"]]}  # type: ignore[union-attr]
        target = site / "content" / folder.name
        target.mkdir(parents=True)
        (target / "index.md").write_text("---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body, encoding="utf-8")
        _copy_files(folder, target)
    return site


def to_pelican(journal: Path, site: Path) -> Path:
    """A Pelican site: `content/<slug>/paper.md` with Pelican's metadata lines, figures as static files."""
    shutil.rmtree(site, ignore_errors=True)
    (site / "content").mkdir(parents=True)
    (site / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    for folder in sorted((journal / "papers").iterdir()):
        meta, body = _split((folder / "paper.md").read_text(encoding="utf-8"))
        head = [f"Title: {meta['title']}", f"Date: {meta['date']}", f"Slug: {folder.name}", "Category: research",
                "Authors: " + "; ".join(a["name"] for a in meta["authors"]),  # type: ignore[union-attr]
                "Tags: " + ", ".join(meta.get("keywords", [])),  # type: ignore[arg-type]
                "Summary: " + re.sub(r"\s+", " ", str(meta["abstract"]))]
        body = re.sub(r"\]\((figure-\d\.(?:png|svg))\)", r"]({static}\1)", body)
        target = site / "content" / folder.name
        target.mkdir(parents=True)
        (target / "paper.md").write_text("\n".join(head) + "\n\n" + body, encoding="utf-8")
        _copy_files(folder, target)
    return site
