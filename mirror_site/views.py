"""The view models templates receive: plain values, shaped for display, never domain objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from .assemble import PublishedPaper, Site, display_date, license_url
from .config import Config
from .model import Heading, Paper, RenderedBody
from .relations import INVERSE, LABELS, mirror_slug
from .reviews import Review
from .urls import paper_url

MIRROR_CITE = re.compile(r'<a class="cite-mirror" href="[^"]*" data-slug="([a-z0-9-]+)" data-form="(narrative|paren)">[^<]*</a>')
NOTICES = {"retracted": "retracted", "withdrawn": "withdrawn"}


@dataclass(frozen=True)
class AuthorView:
    name: str
    kind: str
    model: str
    affiliations: tuple[str, ...]
    orcid_url: str


@dataclass(frozen=True)
class LinkView:
    """A link to another paper or an external work, with a notice when it was retracted."""

    text: str
    url: str  #: empty for a Mirror paper that is not published (yet): shown without a link
    notice: str = ""


@dataclass(frozen=True)
class VersionView:
    version: int
    date: str
    kind: str
    summary: str
    sha256: str
    url: str


@dataclass(frozen=True)
class ReviewView:
    name: str
    url: str
    reviewer: str
    kind: str
    model: str
    date: str
    recommendation: str
    scores: tuple[tuple[str, int, str], ...]  #: (criterion, score, label of the score)
    scale: str  #: the scale printed beside every score, e.g. "1 (poor) to 5 (excellent)"
    html: Markup


def review_view(review: Review, paper_url_: str, config: Config) -> ReviewView:
    scale = config.review_scale
    return ReviewView(review.name, f"{paper_url_}reviews/{review.name}/", review.reviewer, review.kind, review.model,
                      review.date, review.recommendation,
                      tuple((c, n, scale[n - 1]) for c, n in review.scores),
                      f"1 ({scale[0]}) to {len(scale)} ({scale[-1]})", Markup(review.html))  # noqa: S704 - rendered escaped


@dataclass(frozen=True)
class PaperView:
    """What `paper.html` may show of a paper."""

    slug: str
    url: str
    title: str
    authors: tuple[AuthorView, ...]
    date: str
    date_display: str
    updated: str
    version: int
    latest_version: int  #: the current version; differs from `version` on an earlier version's page
    latest_url: str
    status: str  #: published, retracted, withdrawn
    retraction: dict[str, str]  #: date and reason, for retracted and withdrawn papers
    license: str
    license_url: str
    finding: str
    keywords: tuple[str, ...]
    methods: tuple[str, ...]
    research: dict[str, object]  #: subject_models, ai_involvement, reproducibility, claims as validated
    abstract_html: Markup
    body_html: Markup
    toc: tuple[Heading, ...]
    references: tuple[tuple[str, Markup], ...]  #: (id, formatted entry)
    relations: tuple[tuple[str, tuple[LinkView, ...]], ...]  #: (label, targets)
    backlinks: tuple[tuple[str, tuple[LinkView, ...]], ...]  #: (label, papers), computed at build time
    history: tuple[VersionView, ...]
    supplements: tuple[tuple[str, str, int], ...]  #: (path, description, size in bytes)
    reviews: tuple[ReviewView, ...]
    markdown_url: str


@dataclass(frozen=True)
class SiteView:
    """What every page may show of the journal."""

    title: str
    description: str
    language: str
    base_path: str
    base_url: str


@dataclass(frozen=True)
class SummaryView:
    """A paper as listings show it."""

    title: str
    url: str
    authors: str
    date: str
    date_display: str
    finding: str
    notice: str


def summary_view(paper: Paper, config: Config) -> SummaryView:
    return SummaryView(paper.title, paper_url(config.base_path, paper.slug), ", ".join(a.name for a in paper.authors),
                       paper.date, display_date(paper.date), paper.finding, _notice(paper))


def site_view(config: Config) -> SiteView:
    return SiteView(config.title, config.description, config.language, config.base_path, config.base_url)


def _who(paper: Paper) -> tuple[str, str]:
    """("Nanda et al.", "2023") for a Mirror paper, as for a BibTeX entry."""
    names = [a.name.split()[-1] if a.kind == "human" else a.name for a in paper.authors]
    who = names[0] if len(names) == 1 else f"{names[0]} and {names[1]}" if len(names) == 2 else f"{names[0]} et al."
    return who, paper.date[:4]


def _notice(paper: Paper) -> str:
    return NOTICES.get(paper.status, "")


def mirror_citations(body: RenderedBody, papers: dict[str, Paper]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Citations of other Mirror papers get their author-year text and a reference-list entry here,
    where the whole journal is known (rendering one paper never needs the others)."""

    def text(match: re.Match[str]) -> str:
        who, year = _who(papers[match[1]])
        shown = f"{who} ({year})" if match[2] == "narrative" else f"{who}, {year}"
        return match[0][: match[0].index(">") + 1] + escape(shown) + "</a>"

    def unresolved(match: re.Match[str]) -> str:  # a paper not published (yet): no link to a page that is not there
        return f'<span class="citation-missing" data-slug="{match[1]}">{match[1]}</span>'

    html = MIRROR_CITE.sub(lambda m: text(m) if m[1] in papers else unresolved(m), body.html)
    entries = []
    for slug, _line in body.mirror_citations:
        if slug in papers:
            cited = papers[slug]
            authors = ", ".join(a.name for a in cited.authors)
            notice = f' <strong class="notice">[{_notice(cited)}]</strong>' if _notice(cited) else ""
            entries.append((cited, f"mirror-{slug}", f'{escape(authors)} ({cited.date[:4]}). <a href="../{slug}/">'
                                                     f"{escape(cited.title)}</a>. <em>Mirror</em>.{notice}"))
    entries.sort(key=lambda e: (_who(e[0])[0].lower(), e[0].date, e[0].slug))
    return html, tuple((ident, entry) for _, ident, entry in entries)


def _external(target: str) -> LinkView:
    if target.startswith("doi:"):
        return LinkView(target, "https://doi.org/" + target.removeprefix("doi:"))
    if target.startswith("arxiv:"):
        return LinkView(target, "https://arxiv.org/abs/" + target.removeprefix("arxiv:"))
    return LinkView(target, target)


def _paper_link(paper: Paper, base_path: str) -> LinkView:
    return LinkView(paper.title, paper_url(base_path, paper.slug), _notice(paper))


def paper_view(entry: PublishedPaper, site: Site, latest: PublishedPaper | None = None) -> PaperView:
    """The view of `entry`; for an earlier version, `latest` is the current one (whose links,
    backlinks and history the page shows)."""
    config, papers = site.config, site.by_slug()
    current = latest or entry
    paper, body = entry.paper, entry.body
    url = paper_url(config.base_path, paper.slug)
    body_html, mirror_refs = mirror_citations(body, papers)
    relations = tuple(
        (LABELS[kind], tuple(_paper_link(papers[slug], config.base_path) if (slug := mirror_slug(t)) in papers
                             else LinkView(t, "") if slug else _external(t) for t in targets))
        for kind, targets in sorted(current.paper.meta.get("relations", {}).items()) if targets)
    grouped: dict[str, list[LinkView]] = {}
    for link in site.links_to(paper.slug):
        grouped.setdefault(INVERSE[link.kind], []).append(_paper_link(papers[link.slug], config.base_path))
    changes = current.paper.meta.get("changes", [])
    first = current.earlier[0].paper if current.earlier else current.paper
    history = tuple(VersionView(c["version"], c["date"], c["kind"], c["summary"], c["sha256"],
                                url if c["version"] == current.paper.version else f"{url}v{c['version']}/")
                    for c in [{"version": 1, "date": first.date, "kind": "first version", "summary": "", "sha256": ""},
                              *changes]) if changes else ()
    return PaperView(
        slug=paper.slug, url=url if latest is None else f"{url}v{paper.version}/", title=paper.title,
        authors=tuple(AuthorView(a.name, a.kind, a.model, a.affiliations,
                                 f"https://orcid.org/{a.orcid}" if a.orcid else "") for a in paper.authors),
        date=paper.date, date_display=display_date(paper.date), updated=paper.updated, version=paper.version,
        latest_version=current.paper.version, latest_url=url, status=current.paper.status,
        retraction=dict(current.paper.meta.get("retraction", {})),
        license=paper.license, license_url=license_url(paper.license), finding=paper.finding,
        keywords=paper.keywords, methods=paper.methods,
        research={k: paper.meta[k] for k in ("subject_models", "ai_involvement", "reproducibility", "claims") if k in paper.meta},
        abstract_html=Markup(body.abstract_html), body_html=Markup(body_html),  # noqa: S704 - rendered escaped
        toc=tuple(h for h in body.headings if h.level <= 3),
        references=tuple((ident, Markup(html)) for ident, html in body.references + mirror_refs),
        relations=relations, backlinks=tuple(sorted((k, tuple(v)) for k, v in grouped.items())), history=history,
        supplements=tuple((s["path"], s["description"], (paper.source.folder / s["path"]).stat().st_size)
                          for s in current.paper.meta.get("supplements", [])),
        reviews=tuple(review_view(r, url, config) for r in current.reviews),
        markdown_url=(url if latest is None else f"{url}v{paper.version}/") + "paper.md",
    )
