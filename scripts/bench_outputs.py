#!/usr/bin/env python3
"""Benchmark of the machine-facing outputs at the protocols' real limits (prints figures, asserts
only what the protocols require). A synthetic journal of N papers is assembled in memory, without
rendering (that is the engine's benchmark), and every machine output module runs over it:

    python scripts/bench_outputs.py [--papers 50001]

50,001 papers give more than 50,000 sitemap URLs (with the home page and the listings): more than
a sitemap file may hold, so `sitemap.xml` must become an index over two shards; the corpus passes its size threshold, so
`papers.jsonl` must become gzip shards by issue.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mirror_site.assemble import PublishedPaper, Site, assemble  # noqa: E402
from mirror_site.cite import cite_files  # noqa: E402
from mirror_site.config import Config  # noqa: E402
from mirror_site.corpus import corpus_files  # noqa: E402
from mirror_site.feeds import feed_files  # noqa: E402
from mirror_site.front_matter import Positions  # noqa: E402
from mirror_site.listings import listings  # noqa: E402
from mirror_site.llms import llms_files  # noqa: E402
from mirror_site.model import Author, Heading, OutputFile, Paper, RenderedBody, SourcePaper  # noqa: E402
from mirror_site.records import paper_json_file  # noqa: E402
from mirror_site.robots import robots_files  # noqa: E402
from mirror_site.sitemap import sitemap_files  # noqa: E402

BODY = "# Introduction\n\nWe study a circuit in a small transformer. " * 40 + "\n\n## Results\n\nIt works.\n"


def synthetic(i: int) -> PublishedPaper:
    """Paper `i`: deterministic, dated over six years so that the corpus spans 72 issues."""
    day = datetime.date(2020, 1, 1) + datetime.timedelta(days=i * 2190 // 50_001)
    slug = f"paper-{i:06d}"
    source_text = f'---\ntitle: "Synthetic paper {i}"\n---\n{BODY}'
    source = SourcePaper(slug, Path("/nonexistent") / slug, f"papers/{slug}/paper.md", {}, Positions(), BODY, 4,
                         source_text, hashlib.sha256(source_text.encode()).hexdigest())
    paper = Paper(source, f"Synthetic paper {i}", (Author("Bench Agent", "ai", "bench-1"),), day.isoformat(),
                  "We measure *things*.", "CC-BY-4.0", keywords=("circuits",), finding="novel")
    body = RenderedBody(html=f"<h2 id=\"sec-introduction\">Introduction</h2><p>{BODY}</p>",
                        abstract_html="We measure <em>things</em>.", headings=(Heading(2, "Introduction", "sec-introduction"),),
                        figures=(), references=(), mirror_citations=(), diagnostics=())
    return PublishedPaper(paper, body)


def measure(name: str, make: Callable[[Site], Iterable[OutputFile]], site: Site) -> list[OutputFile]:
    started = time.perf_counter()
    files = list(make(site))
    seconds = time.perf_counter() - started
    size = sum(len(f.data) for f in files)
    print(f"{name:<12} {len(files):>7} files {size / 1e6:>10.1f} MB {seconds:>8.2f} s")
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=50_001,
                        help="50,001 by default")
    parser.add_argument("--no-listings", action="store_true",
                        help="leave listing pages out of the sitemap (computing them is the listings' own benchmark)")
    args = parser.parse_args()
    started = time.perf_counter()
    site = assemble(Config(base_url="https://bench.example.org/journal/"), [synthetic(i) for i in range(args.papers)],
                    datetime.date(2027, 1, 1))
    print(f"assembled {args.papers} papers in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    found = [] if args.no_listings else listings(site)
    print(f"listings     {len(found):>7} lists {time.perf_counter() - started:>19.2f} s")
    sitemaps = measure("sitemap", lambda s: sitemap_files(s, found), site)
    def paper_json_files(s: Site) -> Iterator[OutputFile]:  # per paper, as the build makes them
        return (paper_json_file(entry, s.config) for entry in s.papers)

    def all_cite_files(s: Site) -> Iterator[OutputFile]:
        return (file for entry in s.papers for file in cite_files(entry.paper, s.config))

    for make, name in ((robots_files, "robots"), (feed_files, "feeds"), (llms_files, "llms"),
                       (paper_json_files, "paper.json"), (all_cite_files, "cite")):
        measure(name, make, site)
    corpus = measure("corpus", corpus_files, site)
    urls = sum(f.data.count(b"<url>") for f in sitemaps)  # papers, the home page, listings
    names = sorted(f.path for f in sitemaps)
    print(f"sitemap: {urls} URLs in {names}")
    if urls > 50_000:
        assert names[0] == "sitemap-1.xml" and b"<sitemapindex" in next(f for f in sitemaps if f.path == "sitemap.xml").data
        assert all(f.data.count(b"<url>") <= 50_000 and len(f.data) <= 50 * 1024 * 1024 for f in sitemaps)
    shards = [f.path for f in corpus if f.path.endswith(".jsonl.gz")]
    print(f"corpus: {len(shards)} gzip shards ({shards[:1]} … {shards[-1:]})" if shards else "corpus: one papers.jsonl")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
