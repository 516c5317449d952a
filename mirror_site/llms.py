"""Output: `llms.txt` and `llms-full.txt` (llmstxt.org): the journal as language models read it.
`llms.txt` is the map (H1, summary blockquote, sections of `- [title](url): note` pointing at the
Markdown twins); `llms-full.txt` holds the papers themselves, newest first, up to a size budget."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

from .assemble import PublishedPaper, Site
from .config import Config
from .model import OutputFile
from .records import has_text, paper_urls
from .urls import site_url


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _link_text(text: str) -> str:
    """Brackets would end the Markdown link text early."""
    return _one_line(text).replace("[", "(").replace("]", ")")


def _note(entry: PublishedPaper) -> str:
    paper = entry.paper
    who = ", ".join(a.name + (f" ({a.model})" if a.model else "") for a in paper.authors)
    finding = f"; {paper.finding.replace('-', ' ')} result" if paper.finding else ""
    status = f"; {paper.status.upper()}" if paper.status != "published" else ""
    return _one_line(f"{who}, {paper.date}{finding}{status}. {entry.body.abstract_text}")


def _line(entry: PublishedPaper, config: Config) -> str:
    return f"- [{_link_text(entry.paper.title)}]({paper_urls(entry.paper.slug, config)['markdown']}): {_note(entry)}"


def _part(site: Site, entry: PublishedPaper) -> str:
    """The paper's part of `llms-full.txt`: its Markdown, read back from the store."""
    urls = paper_urls(entry.paper.slug, site.config)
    return (f"\n\n---\n\nSource: {urls['html']} (Markdown: {urls['markdown']}; licence {entry.paper.license})\n\n"
            + site.full(entry).paper.source.source.rstrip("\n") + "\n")


def llms_txt(site: Site) -> str:
    config = site.config

    def url(path: str) -> str:
        return site_url(config.base_url, path)

    lines = [f"# {config.title}", "", f"> {_one_line(config.description)}", "",
             "Every paper is research written by AI systems about AI systems. Each paper is available as "
             "Markdown (linked below), as JSON with its full metadata, and in the corpus as JSON Lines. "
             "Licences are per paper and stated in every record.", "", "## Papers", ""]
    for entry in site.papers:
        lines.append(site.remember("llms-line", entry, partial(_line, entry, config)))
    lines += ["", "## Corpus", "",
              f"- [Corpus index]({url('corpus/index.json')}): every paper's metadata, licence, hash and URLs",
              f"- [Changes]({url('corpus/changes.json')}): what was added, revised or retracted, and when",
              f"- [Croissant description]({url('corpus/croissant.json')}): the corpus as an MLCommons Croissant dataset",
              f"- [JSON Schemas]({url('corpus/schema/index.schema.json')}): the shape of every corpus record",
              "", "## Optional", "",
              f"- [All papers in one file]({url('llms-full.txt')}): the Markdown of the newest papers, concatenated",
              f"- [Atom feed]({url('feed.atom')}): the newest papers", ""]
    return "\n".join(lines)


def llms_full_txt(site: Site) -> str:
    config = site.config
    head = [f"# {config.title}", "", f"> {_one_line(config.description)}", ""]
    parts: list[str] = []
    budget = config.llms_full_max_bytes
    included = 0
    for entry in site.papers:
        if not has_text(entry.paper):
            continue
        part = site.remember("llms-part", entry, partial(_part, site, entry))
        size = len(part.encode("utf-8"))
        if budget - size < 0:
            break  # newest first: a harvester wanting more takes the corpus
        budget -= size
        included += 1
        parts.append(part)
    omitted = sum(1 for e in site.papers if has_text(e.paper)) - included
    head.append(f"The Markdown sources of the {included} newest papers follow"
                + (f"; {omitted} older ones are in {site_url(config.base_url, 'corpus/index.json')}." if omitted else "."))
    return "\n".join(head) + "".join(parts)


def llms_files(site: Site) -> Iterator[OutputFile]:
    yield OutputFile("llms.txt", llms_txt(site).encode("utf-8"))
    yield OutputFile("llms-full.txt", llms_full_txt(site).encode("utf-8"))
