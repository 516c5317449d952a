#!/usr/bin/env python3
"""Benchmark of search (OUTPUTS.md: "the first query downloads well under 1 MB at 10,000 papers, and
indexing costs at most a tenth of the build's time and memory"). Prints figures; asserts nothing.

For each size, a synthetic journal of N papers is written to a temporary folder (real `paper.md` files
with a Zipf-distributed vocabulary of ~40,000 words, so the index has a realistic long tail) and built
for real with `mirror build`'s code, in a fresh process so that peak-memory figures are its own:

- the whole build: wall time, peak RSS of the main process and of the render workers;
- the search step (`search.search_files`, timed inside that build), and its peak memory measured with
  tracemalloc in a second run over the same `Site` after the build (tracemalloc slows what it traces);
- the index: total bytes, files, and what a first query downloads in Debian chromium (the real
  search.js: manifest + term shards + record chunks), raw and as gzip would send it.

    python benchmarks/search_index.py [--papers 1000 10000] [--no-browser] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))

from mirror_site import build as build_module  # noqa: E402
from mirror_site import outputs as outputs_module  # noqa: E402
from mirror_site import search  # noqa: E402
from mirror_site.assemble import Site  # noqa: E402
from mirror_site.build import BuildOptions  # noqa: E402
from mirror_site.config import DEFAULT_METHODS  # noqa: E402
from mirror_site.model import OutputFile  # noqa: E402

DOMAIN = """attention head heads circuit circuits feature features neuron neurons layer layers residual stream
transformer transformers sparse autoencoder autoencoders dictionary probe probes probing linear representation
representations activation activations patching ablation ablations logit lens tuned superposition polysemantic
monosemantic induction copying grokking modular addition fourier memorisation generalisation steering vector
vectors direction directions subspace subspaces causal mediation intervention interventions path scrubbing
attribution gradient gradients saliency embedding embeddings unembedding token tokens positional mlp
nonlinearity gelu softmax query key value qk ov composition virtual weights weight decay training dynamics
checkpoint checkpoints phase transition loss curve scaling model models language small medium large
parameters pythia gpt llama gemma mistral olmo othello chess board world deception honesty truthfulness
refusal jailbreak safety alignment reward hacking sycophancy bias gender syntax agreement factual recall
knowledge editing memory retrieval arithmetic reasoning chain thought planning lookahead replication
replicate failed negative result results confirm confirmatory novel method benchmark dataset evaluation
metric metrics faithfulness completeness minimality hypothesis hypotheses mechanism mechanisms algorithm
crosscoder transcoder transcoders skip connection layernorm normalisation rotary sink sinks bos""".split()
GENERIC = """show find study propose present introduce measure evaluate compare analyse identify demonstrate
report observe suggest evidence across several many most some few two three four five first second new
prior previous original work approach framework behaviour behaviours performance simple complex specific
general robust consistent different similar trained pretrained fine tuned data set task tasks input output
structure role function functions effect effects large small higher lower increase decrease predict
prediction predictions explain explains explanation explanations understand understanding internal
interpretable interpretability mechanistic automated human humans agent agents experiment experiments
seed seeds random baseline baselines control controls significant significantly however further
finally together overall often rarely only both either neither whether although because since until""".split()
FIRST = "Ada Alan Grace Claude Edsger Barbara Donald Frances John Leslie Radia Shafi Tim Yoshua Geoffrey Fei".split()
LAST = "Lovelace Turing Hopper Shannon Dijkstra Liskov Knuth Allen McCarthy Lamport Perlman Goldwasser Bengio Hinton Li".split()
SYLLABLES = "ka lo mi ne ru sa ti vo ze ba ce di fu ga hi jo ku la me no pe qu re si to un ve wa xi yo zu".split()


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Words with Zipf cumulative weights: generic and domain words first (frequent), then a long tail
    of made-up words (names of methods, datasets, models, rare terms) that real abstracts also have."""
    tail = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(45_000)})
    rng.shuffle(tail)
    words = GENERIC + DOMAIN + tail
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1 / rank ** 1.05
        cumulative.append(total)
    return words, cumulative


def synthetic_journal(root: Path, papers: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    words, cumulative = vocabulary(rng)

    def text(n: int) -> str:
        return " ".join(rng.choices(words, cum_weights=cumulative, k=n))

    people = [f"{rng.choice(FIRST)} {rng.choice(LAST)}-{i}" for i in range(3000)]
    agents = [f"Research Agent {i}" for i in range(200)]
    keywords = [f"{rng.choice(DOMAIN)} {rng.choice(DOMAIN)}" for _ in range(400)]
    families = ["pythia", "gpt2", "llama", "gemma", "olmo", "mistral"]
    models = [f"{rng.choice(families)}-{rng.choice([70, 160, 410, 1, 7, 8])}m" for _ in range(60)]
    (root / "papers").mkdir(parents=True)
    (root / "mirror.toml").write_text('title = "Bench"\nbase_url = "https://bench.example.org/journal/"\n')
    for i in range(papers):
        day = f"{2020 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        authors = "".join(f'  - name: "{rng.choice(agents)}"\n    kind: ai\n    model: "model-{rng.randint(1, 40)}"\n'
                          for _ in range(rng.randint(1, 2)))
        authors += "".join(f'  - name: "{rng.choice(people)}"\n    kind: human\n' for _ in range(rng.randint(0, 3)))
        front = (f'title: "{text(rng.randint(6, 14)).capitalize()}"\nauthors:\n{authors}date: {day}\n'
                 f'abstract: "{text(rng.randint(120, 250)).capitalize()}."\n'
                 f"keywords: {json.dumps(rng.sample(keywords, rng.randint(2, 5)))}\n"
                 f"subject_models:\n" + "".join(f'  - name: "{m}"\n' for m in rng.sample(models, rng.randint(1, 2)))
                 + f"methods: {json.dumps(rng.sample(DEFAULT_METHODS, rng.randint(1, 3)))}\n"
                 f"finding: {rng.choice(['novel', 'confirmatory', 'replication', 'failed-replication', 'negative'])}\n")
        body = "".join(f"# Section {s}\n\n" + "\n\n".join(text(rng.randint(80, 160)) + "." for _ in range(3)) + "\n\n"
                       for s in range(1, 5))
        folder = root / "papers" / f"paper-{i:05d}"
        folder.mkdir()
        (folder / "paper.md").write_text(f"---\n{front}---\n{body}", encoding="utf-8")


class TreeMemory:
    """Peak resident memory of this process plus all its descendants, sampled from /proc: render
    workers may be children of a forkserver, which `RUSAGE_CHILDREN` does not see while it runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree_rss() -> int:
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(stat.parent.name)] = int(fields[1])
        family, grew = {os.getpid()}, True
        while grew:
            more = {pid for pid, parent in parents.items() if parent in family} - family
            family |= more
            grew = bool(more)
        total = 0
        for pid in family:
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except OSError:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._tree_rss())

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def measure_build(papers: int, keep: Path | None) -> dict[str, Any]:
    """Build a synthetic journal of `papers` papers (in this process) and measure it."""
    work = Path(tempfile.mkdtemp(prefix="mirror-search-bench-"))
    try:
        return _measure(work, papers, keep)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # the caller removes it after a success
        raise


def _measure(work: Path, papers: int, keep: Path | None) -> dict[str, Any]:
    root = work / "journal"
    synthetic_journal(root, papers)
    timings: dict[str, float] = {}
    captured: list[Site] = []
    original = search.search_files

    def timed(site: Site, templates: Path) -> Iterator[OutputFile]:
        started = time.perf_counter()
        files = list(original(site, templates))
        timings["search"] = time.perf_counter() - started
        captured.append(site)
        yield from files

    vars(outputs_module)["search_files"] = timed  # the step as the build runs it, inside the build's own timing
    started = time.perf_counter()
    with TreeMemory() as memory:
        result = build_module.build(BuildOptions(root=root, out=work / "site"))
    seconds = time.perf_counter() - started
    vars(outputs_module)["search_files"] = original
    assert result.exit_code == 0, [d.format() for d in result.diagnostics[:5]] + [result.failure]
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    tracemalloc.start()
    files = list(search.search_files(captured[0], PROJECT / "templates"))
    search_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del files
    out = work / "site"
    index = [p for p in (out / "search").rglob("*.json")]  # the manifest, shards and chunks (not the page)
    figures = {
        "papers": papers, "build_s": seconds, "search_s": timings["search"], "rss_self": rss_self,
        "rss_tree": memory.peak, "search_peak": search_peak, "out": str(out),
        "index_bytes": sum(p.stat().st_size for p in index), "index_files": len(index),
        "index_gzip": sum(len(gzip.compress(p.read_bytes(), 6)) for p in index),
        "shards": sum(p.name.startswith("t-") for p in index), "chunks": sum(p.name.startswith("d-") for p in index),
        "manifest": (out / "search" / "manifest.json").stat().st_size,
        "site_bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
    }
    if keep:
        shutil.copytree(out, keep / str(papers), dirs_exist_ok=True)
    return figures


def first_query(browser: Any, host: str, out: Path, query: str) -> tuple[str, int, int, int, int]:
    """(query, results, files, raw bytes, gzip bytes) of the index files a fresh page fetches for its first query."""
    context = browser.new_context()  # a fresh cache: this is a reader's first query
    page = context.new_page()
    urls: list[str] = []
    page.on("response", lambda response: urls.append(response.url))
    page.goto(f"{host}/journal/search/", wait_until="load")
    page.get_by_role("searchbox").fill(query)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('match')", timeout=60_000)
    page.wait_for_load_state("networkidle")
    results = page.locator("#search-results li").count()
    context.close()
    paths = [out / url.removeprefix(f"{host}/journal/") for url in urls if url.endswith(".json")]
    return (query, results, len(paths), sum(p.stat().st_size for p in paths),
            sum(len(gzip.compress(p.read_bytes(), 6)) for p in paths))


def first_queries(out: Path, queries: list[str]) -> list[tuple[str, int, int, int, int]]:
    from browser import CHROMIUM, CHROMIUM_ARGS, serve
    from playwright.sync_api import sync_playwright

    served = out.parent / "served"  # the site lives under /journal/, as its base_url says
    served.mkdir(exist_ok=True)
    if not (served / "journal").exists():
        (served / "journal").symlink_to(out)
    with serve(served) as host, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        found = [first_query(browser, host, out, query) for query in queries]
        browser.close()
    return found


def report_queries(out: Path) -> None:
    queries = ["induction heads", "sparse autoencoder features", "grokking", "circuit", "steering vectors refusal",
               "research agent 17", "pythia-70m probing"]
    page = sum((out / name).stat().st_size for name in ("search/index.html", "assets/search.js", "assets/style.css"))
    print(f"  (the page itself: search/index.html + search.js + style.css = {page / 1e3:.1f} kB, cached after)")
    for query, results, count, raw, packed in first_queries(out, queries):
        print(f"  first query {query!r:<30} {results:>3} shown, {count:>2} files,"
              f" {raw / 1e3:>7.1f} kB ({packed / 1e3:.1f} kB gzipped)")


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--no-browser", action="store_true", help="skip the first-query measurement in chromium")
    parser.add_argument("--keep", type=Path, help="copy each built site here")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_build(args.one, args.keep)))
        return 0
    for papers in args.papers:
        # A fresh process per size: peak RSS is a high-water mark that never goes down.
        command = [sys.executable, __file__, "--one", str(papers)] + (["--keep", str(args.keep)] if args.keep else [])
        done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)  # its errors go to our stderr
        f = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"\n== {papers:,} papers ==")
        print(f"build:  {f['build_s']:.1f} s; peak RSS {mb(f['rss_self'])} (main process),"
              f" {mb(f['rss_tree'])} (with its render workers, sampled); site {mb(f['site_bytes'])}")
        print(f"search: {f['search_s']:.2f} s = {100 * f['search_s'] / f['build_s']:.1f} % of the build's time;"
              f" peak {mb(f['search_peak'])} allocated (tracemalloc) = {100 * f['search_peak'] / f['rss_self']:.1f} %"
              f" of the main process's peak RSS")
        print(f"index:  {mb(f['index_bytes'])} in {f['index_files']} files ({f['shards']} term shards, {f['chunks']} record chunks,"
              f" manifest {f['manifest'] / 1e3:.1f} kB); {mb(f['index_gzip'])} gzipped")
        try:
            if not args.no_browser:
                report_queries(Path(f["out"]))
        finally:
            shutil.rmtree(Path(f["out"]).parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
