"""How to cite a paper: BibTeX, a formatted reference, and CITATION.cff (Citation File Format 1.2.0).

Pure functions of the paper and the configuration, so the paper page's "cite this paper" box, the
`cite.bib` / `CITATION.cff` files and the metadata all say the same thing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from .config import Config
from .model import Author, OutputFile, Paper
from .urls import paper_dir, site_url

MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Characters BibTeX treats as syntax inside a braced value; UTF-8 text is otherwise kept as is
# (biber and modern BibTeX read it).
_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                   "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def volume_and_issue(date: str) -> tuple[str, str]:
    """A volume per year and an issue per month of publication (the archive's structure)."""
    return date[:4], str(int(date[5:7]))


def cite_key(paper: Paper) -> str:
    """`mirror:<slug>`: the same key that `[@mirror:slug]` uses to cite a Mirror paper."""
    return f"mirror:{paper.slug}"


def paper_link(paper: Paper, config: Config) -> str:
    """The preferred link: the DOI when there is one (it outlives any host), else the page."""
    return f"https://doi.org/{paper.doi}" if paper.doi else site_url(config.base_url, paper_dir(paper.slug))


def _bibtex_value(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(char, char) for char in re.sub(r"\s+", " ", text).strip())


def _bibtex_name(author: Author) -> str:
    """Names are written whole; braces keep BibTeX from splitting those with commas or ` and `."""
    name = _bibtex_value(author.name)
    return f"{{{name}}}" if "," in name or re.search(r"\band\b", name, re.I) or author.kind == "ai" else name


def bibtex(paper: Paper, config: Config) -> str:
    """A BibTeX `@article` entry for the paper, ending with a newline."""
    volume, issue = volume_and_issue(paper.date)
    fields: list[tuple[str, str]] = [
        ("title", "{" + _bibtex_value(paper.title) + "}"),  # double braces keep the title's capitals
        ("author", " and ".join(_bibtex_name(a) for a in paper.authors)),
        ("journal", _bibtex_value(config.title)),
        ("publisher", _bibtex_value(config.publisher)),
        ("year", paper.date[:4]),
        ("volume", volume),
        ("number", issue),
        ("date", paper.date),
        ("url", site_url(config.base_url, paper_dir(paper.slug))),
    ]
    if paper.doi:
        fields.append(("doi", _bibtex_value(paper.doi)))
    if paper.arxiv:
        fields += [("eprint", paper.arxiv), ("archiveprefix", "arXiv")]
    if paper.keywords:
        fields.append(("keywords", _bibtex_value(", ".join(paper.keywords))))
    fields.append(("copyright", _bibtex_value(paper.license)))
    if paper.version > 1:
        fields.append(("version", str(paper.version)))
    lines = [f"  {name} = {{{value}}}," for name, value in fields]
    month = MONTH_MACROS[int(paper.date[5:7]) - 1]
    lines.insert(5, f"  month = {month},")  # a macro, so styles print the month in their own language
    return f"@article{{{cite_key(paper)},\n" + "\n".join(lines) + "\n}\n"


def _names(paper: Paper) -> str:
    names = [a.name for a in paper.authors]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def formatted_citation(paper: Paper, config: Config) -> str:
    """A reference as a reader would paste it: authors (year). Title. Journal, volume(issue). link"""
    volume, issue = volume_and_issue(paper.date)
    title = paper.title if paper.title[-1:] in ".?!" else paper.title + "."
    version = f" Version {paper.version}." if paper.version > 1 else ""
    return f"{_names(paper)} ({paper.date[:4]}). {title} {config.title}, {volume}({issue}).{version} {paper_link(paper, config)}"


def _yaml(value: object, indent: str = "") -> list[str]:
    """Block-style YAML with every string double-quoted the JSON way (JSON strings are YAML): fast,
    deterministic, and no value can be misread as a date, a number or a boolean."""
    if isinstance(value, dict):
        lines: list[str] = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines += [f"{indent}{key}:"] + _yaml(item, indent + "  ")
            else:
                lines.append(f"{indent}{key}: {_yaml(item)[0]}")
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            inner = _yaml(item, indent + "  ")
            lines += [f"{indent}- {inner[0].lstrip()}"] + inner[1:]
        return lines or [f"{indent}[]"]
    if isinstance(value, bool) or value is None:
        return [json.dumps(value)]
    if isinstance(value, int):
        return [str(value)]
    return [json.dumps(str(value), ensure_ascii=False)]


def _cff_author(author: Author) -> dict[str, str]:
    """People as given and family names (split at the last space); AI systems as entities named with
    their model, since CFF has no kind for them."""
    if author.kind == "ai":
        entry = {"name": author.name, **({"alias": author.model} if author.model else {})}
    else:
        given, _, family = author.name.rpartition(" ")
        entry = {"family-names": family, **({"given-names": given} if given else {})}
        if author.orcid:
            entry["orcid"] = f"https://orcid.org/{author.orcid}"
    if author.affiliations:
        entry["affiliation"] = "; ".join(author.affiliations)
    return entry


def citation_cff(paper: Paper, config: Config) -> str:
    """CITATION.cff 1.2.0 describing the paper, with itself as the preferred citation. The top-level
    `type` is left out: CFF knows only software and dataset; the preferred citation says `article`."""
    volume, issue = volume_and_issue(paper.date)
    authors = [_cff_author(a) for a in paper.authors]
    url = site_url(config.base_url, paper_dir(paper.slug))
    work: dict[str, object] = {
        "type": "article", "title": paper.title, "authors": authors, "journal": config.title,
        "publisher": {"name": config.publisher}, "year": int(paper.date[:4]), "month": int(paper.date[5:7]),
        "volume": int(volume), "issue": issue, "url": url, "license": paper.license,
        "date-published": paper.date,
    }
    document: dict[str, object] = {
        "cff-version": "1.2.0", "message": "If you use this paper, please cite it as below.",
        "title": paper.title, "authors": authors, "date-released": paper.date,
        "version": str(paper.version), "license": paper.license, "url": url, "abstract": paper.abstract,
        "preferred-citation": work,
    }
    if paper.keywords:
        document["keywords"] = list(paper.keywords)
    if paper.doi:
        document["doi"] = work["doi"] = paper.doi
    return "\n".join(_yaml(document)) + "\n"


def cite_files(paper: Paper, config: Config) -> Iterator[OutputFile]:
    """A paper's `cite.bib` and `CITATION.cff`."""
    base = paper_dir(paper.slug)
    yield OutputFile(base + "cite.bib", bibtex(paper, config).encode("utf-8"))
    yield OutputFile(base + "CITATION.cff", citation_cff(paper, config).encode("utf-8"))
