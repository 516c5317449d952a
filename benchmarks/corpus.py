#!/usr/bin/env python3
"""A seeded synthetic journal in Mirror's own format, for the benchmarks (not a test).

    python benchmarks/corpus.py OUT --papers N [--seed S]

Each paper is `papers/<slug>/paper.md` of 25–40 KB — sections of prose, inline and display TeX,
a captioned pipe table, fenced Python, footnotes (numbered and inline), cross-references and
`[@key]` citations of its `references.bib` — with two figures, a PNG and an SVG. Paper i depends
only on (seed, i), so a small journal is a prefix of a larger one. Formulas, numbers and code are
drawn at random, so that caches inside the engine see realistic rather than repeated input.
"""

from __future__ import annotations

import argparse
import random
import struct
import zlib
from pathlib import Path

WORDS = ("feature circuit neuron head layer probe direction subspace latent token logit residual stream "
         "activation dictionary decoder encoder ablation patch attribution gradient steering vector model "
         "representation superposition sparsity reconstruction loss checkpoint prompt context position "
         "embedding unembedding attention pattern mechanism hypothesis intervention graph basis manifold").split()
ADJECTIVES = ("sparse linear causal faithful polysemantic monosemantic low-rank robust compositional early late "
              "learned orthogonal dense brittle semantic syntactic hierarchical localized distributed").split()
VERBS = ("identify ablate patch probe reconstruct steer suppress amplify attribute localize mediate encode "
         "represent recover disentangle track predict explain inhibit route").split()
KEYWORDS = ("sparse-autoencoders circuits superposition probing activation-patching attribution steering "
            "induction-heads polysemanticity transcoders crosscoders feature-geometry grokking toy-models "
            "world-models refusal truthfulness fine-tuning scaling training-dynamics attention mlp-neurons "
            "residual-stream in-context-learning memorization factual-recall arithmetic safety evaluation "
            "replication negative-results dictionary-learning linear-representations model-editing").split()
METHODS = ("activation-patching attribution-patching path-patching causal-scrubbing probing sparse-autoencoder "
           "transcoder crosscoder logit-lens tuned-lens steering ablation circuit-discovery attention-analysis").split()
MODELS = (("GPT-2 Small", "124M"), ("Pythia-410M", "410M"), ("Pythia-1.4B", "1.4B"), ("Gemma-2-2B", "2.6B"),
          ("Llama-3.1-8B", "8.0B"), ("Mistral-7B", "7.2B"), ("OLMo-2-7B", "7.3B"), ("TinyStories-33M", "33M"))
FIRST = "Ada Bao Chiara Dmitri Elif Farah Gustavo Hana Jun Kwame Lena Mateo Nadia Oskar Priya Rosa Søren Zoë José".split()
LAST = "Nakamura Okafor Rossi Petrov Yılmaz Haddad Silva Kim Mensah Müller Nguyen Kowalski Chen Iyer Dubois Tanaka".split()
SYSTEMS = ("Probe Agent", "Circuit Cartographer", "Replicator", "Sparse Scout")
GREEK = r"\alpha \beta \gamma \lambda \mu \sigma \theta \phi \eta \tau".split()
LETTERS = "x y z h W b f a v u".split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(ADJECTIVES), rng.choice(WORDS), rng.choice(VERBS) + "s", "the", rng.choice(ADJECTIVES),
             rng.choice(WORDS)]
    words += rng.sample(WORDS, rng.randint(2, 6))
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", f" at layer {rng.randint(0, 47)}."])


def symbol(rng: random.Random) -> str:
    base = rng.choice(LETTERS + GREEK)
    return base + rng.choice(["", f"_{{{rng.randint(1, 64)}}}", "_i", "^{(\\ell)}", f"^{{{rng.randint(2, 4)}}}"])


def inline_math(rng: random.Random) -> str:
    forms = [lambda: f"{symbol(rng)} = {rng.uniform(0, 10):.{rng.randint(1, 3)}f}",
             lambda: f"\\|{symbol(rng)} - \\hat{{{rng.choice(LETTERS)}}}\\|_2",
             lambda: f"{symbol(rng)} \\approx {rng.randint(2, 4096)}",
             lambda: f"\\mathbb{{E}}[{symbol(rng)}]",
             lambda: symbol(rng)]
    return "$" + rng.choice(forms)() + "$"


def display_math(rng: random.Random, label: str) -> str:
    lhs, a, b = symbol(rng), symbol(rng), symbol(rng)
    body = rng.choice([f"{lhs} = \\sum_{{i=1}}^{{{rng.randint(2, 512)}}} {a} \\, {b}",
                       f"{lhs} = \\frac{{{a} - {b}}}{{\\sqrt{{d_{{{rng.randint(8, 128)}}}}}}}",
                       f"\\mathcal{{L}} = \\|{a} - {b}\\|_2^2 + {rng.uniform(0, 1):.3f} \\, \\|{lhs}\\|_1",
                       f"{lhs} = \\operatorname{{softmax}}\\left({a} {rng.choice(LETTERS)}^\\top\\right)"])
    return f"$$\n{body}\n$$ {{#eq:{label}}}"


def paragraph(rng: random.Random, keys: list[str], notes: list[str]) -> str:
    parts = []
    for _ in range(rng.randint(3, 7)):
        text = sentence(rng)
        roll = rng.random()
        if roll < 0.35:
            text = text[:-1] + f", where {inline_math(rng)}."
        elif roll < 0.55:
            text = text[:-1] + f" [@{rng.choice(keys)}]."
        elif roll < 0.6:
            notes.append(sentence(rng) + " " + sentence(rng))
            text += f"[^{len(notes)}]"
        elif roll < 0.63:
            text += f"^[{sentence(rng)}]"
        parts.append(text)
    return " ".join(parts)


def table(rng: random.Random, label: str) -> str:
    columns = rng.randint(3, 5)
    head = ["Setting"] + [rng.choice(WORDS).capitalize() for _ in range(columns - 1)]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * columns]
    for _ in range(rng.randint(4, 9)):
        rows.append(f"| {rng.choice(ADJECTIVES)} | " + " | ".join(f"{rng.uniform(0, 1):.3f}" for _ in range(columns - 1)) + " |")
    return "\n".join(rows) + f"\n\nTable: {sentence(rng)[:-1]} {{#tab:{label}}}"


def code(rng: random.Random) -> str:
    name = "_".join(rng.sample(WORDS, 2))
    lines = [f"def {name}(model, tokens, layer: int = {rng.randint(0, 31)}, alpha: float = {rng.uniform(0, 2):.2f}):",
             f'    """{sentence(rng)}"""', "    cache = model.run_with_cache(tokens)[1]"]
    for step in range(rng.randint(4, 12)):
        lines.append(f"    {rng.choice(WORDS)}_{step} = cache[\"blocks.{{}}.hook_{rng.choice(['resid_post', 'mlp_out', 'attn_out'])}"
                     f"\".format(layer)] * {rng.uniform(0, 3):.3f}  # {rng.choice(VERBS)}")
    lines.append(f"    return {rng.choice(WORDS)}_0.norm(dim=-1).mean()")
    return "```python\n" + "\n".join(lines) + "\n```"


def bibliography(rng: random.Random, count: int) -> tuple[list[str], str]:
    keys, entries = [], []
    for n in range(count):
        family = rng.choice(LAST)
        key = f"{family.lower().replace('ı', 'i').replace('ü', 'u')}{rng.randint(2016, 2026)}{'abcdefghij'[n % 10]}{n}"
        keys.append(key)
        authors = " and ".join(f"{rng.choice(LAST)}, {rng.choice(FIRST)}" for _ in range(rng.randint(1, 4)))
        entries.append(f"@article{{{key},\n  title = {{{sentence(rng)[:-1]}}},\n  author = {{{authors}}},\n"
                       f"  journal = {{Transactions on {rng.choice(WORDS).capitalize()} Research}},\n"
                       f"  year = {{{rng.randint(2016, 2026)}}},\n"
                       f"  doi = {{10.{rng.randint(1000, 9999)}/{rng.randint(10**5, 10**6)}}}\n}}\n")
    return keys, "\n".join(entries)


def png(rng: random.Random, width: int = 96, height: int = 64) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3)) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def svg(rng: random.Random) -> str:
    points = " ".join(f"{10 + 10 * i},{rng.randint(10, 110)}" for i in range(30))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120" viewBox="0 0 320 120">'
            f'<polyline fill="none" stroke="#2a5599" stroke-width="2" points="{points}"/></svg>\n')


def front_matter(rng: random.Random, title: str, index: int) -> str:
    date = f"{rng.randint(2019, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    lines = ["---", f'title: "{title}"', "authors:"]
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.4:
            model = f"agent-{rng.randint(1, 9)}.{rng.randint(0, 9)}"
            lines += [f'  - name: "{rng.choice(SYSTEMS)}"', "    kind: ai", f'    model: "{model}"']
        else:
            lines += [f'  - name: "{rng.choice(FIRST)} {rng.choice(LAST)}"', "    kind: human",
                      f'    affiliation: "Institute of {rng.choice(WORDS).capitalize()} Studies"']
    model = rng.choice(MODELS)
    lines += [f"date: {date}", f'abstract: "{" ".join(sentence(rng) for _ in range(4))}"', "license: CC-BY-4.0",
              "keywords: [" + ", ".join(rng.sample(KEYWORDS, rng.randint(2, 5))) + "]",
              "methods: [" + ", ".join(rng.sample(METHODS, rng.randint(1, 3))) + "]",
              "subject_models:", f'  - name: "{model[0]}"', f'    parameters: "{model[1]}"', "---", ""]
    return "\n".join(lines)


def paper(seed: int, index: int) -> tuple[str, dict[str, str | bytes]]:
    rng = random.Random(f"{seed}:{index}")
    title = " ".join(w.capitalize() for w in [rng.choice(ADJECTIVES), rng.choice(WORDS), rng.choice(VERBS) + "s",
                                              rng.choice(ADJECTIVES), rng.choice(WORDS)])
    slug = f"{title.lower().replace(' ', '-')}-{index:06d}"
    keys, bib = bibliography(rng, rng.randint(10, 20))
    target, notes, body = rng.randint(25_000, 40_000), [], [front_matter(rng, title, index)]
    body.append(f"# Introduction\n\n{paragraph(rng, keys, notes)} See @fig:overview and @tab:main.\n")
    body.append("![An overview of the method.](figure-1.png){#fig:overview}\n\n![Scores per layer.](figure-2.svg)\n")
    body.append(table(rng, "main") + "\n")
    section, equations = 1, 0
    while sum(map(len, body)) < target - 1500:
        section += 1
        body.append(f"# {rng.choice(ADJECTIVES).capitalize()} {rng.choice(WORDS)}s {section}\n")
        for _ in range(rng.randint(2, 4)):
            body.append(paragraph(rng, keys, notes) + "\n")
            roll = rng.random()
            if roll < 0.3:
                equations += 1
                body.append(display_math(rng, f"e{equations}") + f"\n\nAs @eq:e{equations} shows, {sentence(rng).lower()}\n")
            elif roll < 0.45:
                body.append(code(rng) + "\n")
            elif roll < 0.55:
                body.append("\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(3, 6))) + "\n")
    body.append("\n".join(f"[^{n}]: {note}" for n, note in enumerate(notes, start=1)) + "\n")
    files: dict[str, str | bytes] = {"paper.md": "\n".join(body), "references.bib": bib, "figure-1.png": png(rng),
                                     "figure-2.svg": svg(rng)}
    return slug, files


CONFIG = """title = "Mirror benchmark"
description = "A synthetic journal for measuring build times."
base_url = "https://bench.example.org/"
tag_authority = "bench.example.org,2026"
"""


def generate(out: Path, papers: int, seed: int = 1) -> Path:
    (out / "papers").mkdir(parents=True, exist_ok=True)
    (out / "mirror.toml").write_text(CONFIG, encoding="utf-8")
    for index in range(papers):
        slug, files = paper(seed, index)
        folder = out / "papers" / slug
        folder.mkdir(exist_ok=True)
        for name, content in files.items():
            target = folder / name
            target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--papers", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.papers, args.seed)
    print(f"{args.papers} papers in {args.out}")


if __name__ == "__main__":
    main()
