"""Stage 2, validate: check each paper's front matter, then what only the whole journal can tell."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .config import Config
from .diagnostics import Diagnostic, error
from .fields import SLUG, paper_record
from .licenses import SPDX_IDS
from .model import Author, Paper, SourcePaper
from .schema import INVALID, Checker

# Top-level URL segments of the site, and names Windows cannot store: never a paper slug.
RESERVED_SLUGS = frozenset(
    "404 archive assets authors corpus feed feeds findings index llms methods models papers robots schema "
    "search sitemap static topics con prn aux nul".split()
    + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)


def slug_problem(slug: str) -> str:
    """Why `slug` cannot be a paper's folder name, or '' when it can."""
    if not re.fullmatch(SLUG, slug):
        return "use lowercase ASCII letters, digits and single hyphens"
    if len(slug) > 80:
        return "use at most 80 characters"
    if slug in RESERVED_SLUGS:
        return "it is a reserved name of the site"
    return ""


def _affiliations(front: dict[str, Any], author: dict[str, Any], key: tuple[str | int, ...],
                  checker: Checker) -> tuple[str, ...]:
    """Resolve an author's affiliation: names as written, or JOSS indices into `affiliations:`."""
    value = author.get("affiliation")
    if value is None:
        return ()
    table = {str(a.get("index", i + 1)).strip(): a["name"] for i, a in enumerate(front.get("affiliations") or [])}
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        text = str(item)
        if re.fullmatch(r"\s*\d+(\s*,\s*\d+)*\s*", text):
            for index in re.findall(r"\d+", text):
                if index not in table:
                    checker.error(key + ("affiliation",), "affiliation-index",
                                  f"affiliation index {index} is not in the `affiliations:` list",
                                  "add `- name: …` with `index: " + index + "` under `affiliations:`")
                else:
                    names.append(table[index])
        else:
            names.append(text)
    return tuple(names)


def _authors(front: dict[str, Any], checker: Checker) -> tuple[Author, ...]:
    authors = []
    for i, item in enumerate(front["authors"]):
        key: tuple[str | int, ...] = ("authors", i)
        if item["kind"] == "ai" and not item.get("model"):
            checker.error(key, "author-model", f"AI author `{item['name']}` has no `model`",
                          "add `model:` with the system name and exact version")
        authors.append(Author(
            name=item["name"], kind=item["kind"], model=item.get("model", ""),
            affiliations=_affiliations(front, item, key, checker), orcid=item.get("orcid", ""),
            email=item.get("email", ""), roles=tuple(item.get("roles", ())),
            corresponding=item.get("corresponding", False), equal_contrib=item.get("equal_contrib", False)))
    return tuple(authors)


def _lifecycle(front: dict[str, Any], checker: Checker) -> None:
    version = front.get("version", 1)
    changes = front.get("changes", [])
    expected = list(range(2, version + 1))
    found = [c["version"] for c in changes]
    if found != expected:
        checker.error(("changes",) if changes else ("version",), "changes-versions",
                      f"`changes` must hold one entry per version 2..{version} in order; it holds {found or 'none'}",
                      "run `mirror freeze SLUG` to start a new version; it writes the entry")
    status = front.get("status", "published")
    if status != "published" and "retraction" not in front:
        checker.error(("status",), "retraction-missing", f"a {status} paper needs `retraction: {{date, reason}}`",
                      "add `retraction:` with `date:` and `reason:`")


def _contained_file(folder: Path, relpath: str) -> bool:
    """True when `relpath` names a regular file inside `folder`, symlinks resolved."""
    try:
        target = (folder / relpath).resolve()
    except (OSError, RuntimeError):  # a symlink loop: Python 3.11 raises RuntimeError
        return False
    return target.is_relative_to(folder.resolve()) and target.is_file()


def validate_paper(source: SourcePaper, config: Config) -> tuple[Paper | None, list[Diagnostic]]:
    """Check one paper's front matter against the format; return the typed paper when it holds."""
    checker = Checker(source.path, source.positions, {"methods": config.methods})
    reason = slug_problem(source.slug)
    if reason:
        checker.problems.append(error(source.path, 0, 0, "slug", f"the folder name `{source.slug}` is not a valid slug",
                                      f"rename the folder: {reason}"))
    front = paper_record(config.ignorable_keys).check(source.front, (), checker)
    if front is INVALID:
        return None, checker.problems
    license = front.get("license", config.license)
    if license not in SPDX_IDS:
        checker.error(("license",), "license", f"`license` is not an SPDX licence id: `{license}`",
                      "use an id from https://spdx.org/licenses/, e.g. CC-BY-4.0")
    for index, alias in enumerate(front.get("aliases", [])):
        if slug_problem(alias) or alias == source.slug:
            checker.error(("aliases", index), "alias", f"`{alias}` cannot be an alias of this paper",
                          "an alias is a former slug: not this one, not a reserved name of the site")
    authors = _authors(front, checker)
    _lifecycle(front, checker)
    for i, supplement in enumerate(front.get("supplements", [])):
        if not _contained_file(source.folder, supplement["path"]):
            checker.error(("supplements", i, "path"), "supplement-missing",
                          f"the supplement `{supplement['path']}` is not a file inside the paper folder",
                          "check the path; it is relative to the paper folder")
    if "bibliography" in front and not _contained_file(source.folder, front["bibliography"]):
        checker.error(("bibliography",), "bibliography-missing",
                      f"the bibliography `{front['bibliography']}` is not a file inside the paper folder",
                      "check the file name")
    if any(p.level == "error" for p in checker.problems):
        return None, checker.problems
    return Paper(
        source=source, title=front["title"], authors=authors, date=front["date"], abstract=front["abstract"],
        license=license, keywords=tuple(front.get("keywords", ())), methods=tuple(front.get("methods", ())),
        finding=front.get("finding", ""), status=front.get("status", "published"), version=front.get("version", 1),
        updated=front.get("updated", ""), draft=front.get("draft", False), doi=front.get("doi", ""),
        arxiv=front.get("arxiv", ""), meta=front,
    ), checker.problems


def check_collisions(papers: Iterable[Paper], held_folders: Iterable[str],
                     published: frozenset[str]) -> tuple[set[str], list[Diagnostic]]:
    """Papers that would share a URL or an identifier. The one already published keeps it; when
    none was, every claimant is held back (first come is not a rule a build can know). Folders
    already held back still claim their slug: publishing `case-paper` while `Case-Paper` waits
    would give the fixed one no URL."""
    claims: dict[tuple[str, str], list[tuple[str, str, tuple[int, int]]]] = defaultdict(list)
    for paper in papers:
        claims[("slug", _folded(paper.slug))].append((paper.slug, paper.source.path, (0, 0)))
        if paper.doi:
            claims[("doi", paper.doi.lower())].append((paper.slug, paper.source.path, paper.source.positions.of(("doi",))))
        for index, alias in enumerate(paper.meta.get("aliases", [])):
            claims[("slug", _folded(alias))].append((paper.slug, paper.source.path, paper.source.positions.of(("aliases", index))))
    for slug in held_folders:
        claims[("slug", _folded(slug))].append((slug, f"papers/{slug}/paper.md", (0, 0)))
    held: set[str] = set()
    problems: list[Diagnostic] = []
    for (what, _), group in sorted(claims.items()):
        if len(group) < 2:
            continue
        keeper = next((slug for slug, _, _ in group if slug in published), None)
        for slug, path, (line, col) in group:
            if slug == keeper:
                continue
            others = ", ".join(other for _, other, _ in group if other != path)
            problems.append(error(path, line, col, f"duplicate-{what}", f"this paper has the same {what} as {others}",
                                  "rename the folder" if what == "slug" else "a DOI identifies one paper only"))
            held.add(slug)
    return held, problems


def _folded(slug: str) -> str:
    return unicodedata.normalize("NFC", slug).casefold()
