"""Hypothesis strategies for hostile journals (tests/test_fuzz.py, tests/test_browser_hostile.py).

A generated journal is a dict `{relative path: Entry}`: text or bytes to write, or a symbolic link
to make. Papers get front matter (a valid base, mutated with random YAML values and raw YAML
tricks), a Markdown body (pathological nesting, long runs, raw HTML, odd link schemes, math,
citations, footnotes, cross-references), maybe a BibTeX file, figures, reviews, and links that stay
inside the paper folder or lead out of it. Every script payload sets `window.__pwned` (the browser
test checks it stays undefined) and carries the marker `PWNMARK` (the static checks look for it in
tag and attribute names). Nothing generated ever contains `SECRET_TEXT`, which only the files
outside the journal hold: finding it in the output means a file was read through a link.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import yaml
from conftest import PNG_3x2
from hypothesis import strategies as st

MARK = "PWNMARK"
SECRET_TEXT = "FUZZ-SECRET-7f3a"  #: in files outside the journal only
JS = "window.__pwned=1"

#: Script payloads: raw HTML, event handlers, SVG, URLs with script schemes, and ways out of contexts.
PAYLOADS = [
    f"<script>{JS};/*{MARK}*/</script>",
    f'<img src=x onerror="{JS}" data-m="{MARK}">',
    f"<img src=x {MARK}=1 onerror={JS}>",
    f'<svg onload="{JS}"><{MARK}/></svg>',
    f'<svg><script>{JS}</script><a xlink:href="javascript:{JS}"><text>{MARK}</text></a></svg>',
    f'<iframe src="javascript:{JS}" name="{MARK}"></iframe>',
    f'<iframe srcdoc="<script>{JS}</script>"></iframe>',
    f'<object data="javascript:{JS}">{MARK}</object>',
    f'<embed src="data:text/html,<script>{JS}</script>">',
    f'<a href="javascript:{JS}">{MARK}</a>',
    f'<body onload="{JS}">',
    f'<details open ontoggle="{JS}">{MARK}</details>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{JS}"></style></mtext></math>',
    f'<form action="javascript:{JS}"><button>{MARK}</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{JS}">',
    f'<base href="javascript:{JS}//">',
    f"</script><script>{JS}</script>",
    f"</code></pre><script>{JS}</script>",
    f'"><script>{JS}</script>',
    f"'><img src=x onerror={JS}>",
    f"<!--><script>{JS}</script>-->",
    f"<![CDATA[<script>{JS}</script>]]>",
    f"<style>@import 'javascript:{JS}';</style>",
    f"<noscript><p title=\"</noscript><img src=x onerror={JS}>\">",
    f"<scr<script>ipt>{JS}</scr</script>ipt>",
    f"&lt;script&gt;{JS}&lt;/script&gt;",
    f"&#60;script&#62;{JS}&#60;/script&#62;",
]

SCRIPT_URLS = [
    f"javascript:{JS}", f"JaVaScRiPt:{JS}", f"&#106;avascript:{JS}", f"java\tscript:{JS}", f" javascript:{JS}",
    f"javascript&colon;{JS}", f"%6Aavascript:{JS}", f"vbscript:msgbox({MARK})", f"data:text/html,<script>{JS}</script>",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+", f"file:///etc/passwd#{MARK}",
    "javascript://%0awindow.__pwned=1", "jav&#x09;ascript:window.__pwned=1",
]
OTHER_URLS = ["https://example.org/a?b=c&d=<e>", "http://x", "mailto:a@example.org", "#sec-introduction", "#fig:plot",
              "../other/", "/absolute/path", "//evil.example/x", "?q=1", "", "<>", "https://example.org/\"onmouseover=\"x",
              "ftp://example.org/", "tel:+123", "irc://x", "ws://x", "blob:https://x/y", "chrome://settings"]
IMAGE_PATHS = ["figures/fig.png", "figures/fake.png", "figures/evil.svg", "figures/plain.svg", "figures/link-out.png",
               "figures/link-in.png", "figures/loop.png", "figdir/secret.png", "../sibling/figures/fig.png",
               "../sibling-evil/x.png", "/etc/passwd", "file:///etc/passwd", "C:\\x.png", "\\\\host\\share\\x.png",
               "figures/missing.png", "figures/a b#c?.png", "figures/%2e%2e/x.png", "", "figures/", ".hidden.png",
               f"javascript:{JS}", "https://example.org/x.png", "figures/fig.png?x=1", "figures/fig.PNG", "figures/fig.gif"]
TEX = [r"x^2", r"\frac{a}{b}", r"\text{<script>window.__pwned=1</script>}", rf"\href{{javascript:{JS}}}{{x}}",
       r"\mathrm{<img src=x onerror=window.__pwned=1>}", r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
       r"\label{eq:one} E = mc^2", r"\unknowncommand{x}", r"\left( \right.", "{" * 40, r"\\" * 20, "a & b",
       r"\color{red\" onload=\"x}{a}", r"\style{x}{y}", r"\operatorname{<b>}", r"\begin{array}{<script>}a\end{array}", ""]
LANGUAGES = ["", "python", "notalang", "js", "html", "bash", "json", "c", '"><script>x</script>', "{.python}",
             "python {#lst:x}", "mermaid", "latex", "yaml", "md", "text"]
CODE = ["x = 1", f"<script>{JS}</script>", "```", "~~~", "\t\tindented", "def f():\n    return '</code>'", "\0", ""]
UNICODE = ["\u202e", "\u200b", "\u2066", "\ufeff", "e\u0301", "\u00e9", "𝔘𝔫𝔦", "\u0000", "\x1b[31m", "\ud7ff",
           "\u2028", "\u00a0", "ﬁ", "Ⅻ", "\U0001f600", "\x7f", "\x08"]
WORDS = ["probe", "circuit", "attention", "head", "feature", "@", "#", "*", "_", "`", "$", "\\", "|", "<", ">", "&",
         "[", "]", "(", ")", "{", "}", "!", "^", "~", ":", "---", "...", "'", '"', "&amp;", "&#0;", "&#xD800;", "&bogus;"]
KEYS = ["nanda2023", "elhage2021", "Missing_Key", "a:b", "mirror:sibling", "mirror:nope", "mirror:companion",
        "fig:plot", "tab:data", "eq:one", "sec:intro", "sec:missing", "fig:missing", "<script>", "x" * 60]

text_chars = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
word = st.one_of(st.sampled_from(WORDS), st.sampled_from(UNICODE), text_chars, st.sampled_from(PAYLOADS))
long_run = st.builds(lambda c, n: c * n, st.sampled_from(["[", "*a", "_", "<", "`", "$", "\\", "(", "![", "](", "> ", "- ",
                                                          "1. ", "#", "{", "&", "~", "|", "\n", " ", "**", "[^", "@"]),
                     st.integers(1, 3000))


def _link(text: str, url: str, title: str) -> str:
    return f"[{text}]({url}" + (f' "{title}"' if title else "") + ")"


inline = st.one_of(
    word,
    st.builds(lambda w: f"*{w}*", word), st.builds(lambda w: f"**{w}**", word), st.builds(lambda w: f"~~{w}~~", word),
    st.builds(lambda w: f"`{w}`", word),
    st.builds(_link, word, st.sampled_from(SCRIPT_URLS + OTHER_URLS), st.sampled_from(["", MARK, '"><script>x</script>'])),
    st.builds(lambda u: f"<{u}>", st.sampled_from(SCRIPT_URLS + OTHER_URLS)),
    st.builds(lambda a, p, at: f"![{a}]({p}){at}", word, st.sampled_from(IMAGE_PATHS),
              st.sampled_from(["", "{width=50%}", "{#fig:plot}", '{width="1px onerror=x"}', "{height=3em .c key=v}"])),
    st.builds(lambda t: f"${t}$", st.sampled_from(TEX)), st.builds(lambda t: f"$${t}$$", st.sampled_from(TEX)),
    st.builds(lambda k: f"[@{k}]", st.sampled_from(KEYS)), st.builds(lambda k: f"@{k}", st.sampled_from(KEYS)),
    st.builds(lambda k, s: f"[see @{k}, p. {s}; -@nanda2023]", st.sampled_from(KEYS), word),
    st.builds(lambda k: f"\\ref{{{k}}}", st.sampled_from(KEYS)),
    st.builds(lambda n: f"[^{n}]", st.sampled_from(["1", "2", "note", "<x>", "missing"])),
    st.builds(lambda w: f"^[{w}]", word),
    long_run.map(lambda s: s[:400]),
)
paragraph = st.lists(inline, min_size=1, max_size=12).map(" ".join)


def _indent(block: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in block.split("\n"))


def _nested(blocks: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda b: _indent(b, "> "), blocks),
        st.builds(lambda items: "\n".join(_indent(i, "  ").replace("  ", "- ", 1) for i in items), st.lists(blocks, max_size=4)),
        st.builds(lambda items: "\n".join(_indent(i, "   ").replace("   ", "1. ", 1) for i in items), st.lists(blocks, max_size=4)),
        st.builds(lambda n, b: "[^" + n + "]: " + b.replace("\n", "\n    "), st.sampled_from(["1", "2", "note"]), blocks),
    )


leaf_block = st.one_of(
    paragraph,
    st.builds(lambda level, p, a: "#" * level + " " + p + a, st.integers(1, 7), paragraph,
              st.sampled_from(["", " {#sec:intro}", " {-}", " {.unnumbered}", " {#search}", " {#__proto__}", " \\label{sec:x}",
                               ' {#x onclick="a"}', " {#main}"])),
    st.builds(lambda p: p + "\n" + "=" * 3, paragraph),
    st.builds(lambda lang, code, fence: f"{fence}{lang}\n{code}\n{fence}", st.sampled_from(LANGUAGES), st.sampled_from(CODE),
              st.sampled_from(["```", "~~~", "````"])),
    st.builds(lambda code: _indent(code, "    "), st.sampled_from(CODE)),
    st.builds(lambda t, label: f"$$\n{t}\n$$" + label, st.sampled_from(TEX), st.sampled_from(["", " {#eq:one}", " (eq:two)"])),
    st.sampled_from(PAYLOADS), st.builds(lambda p: f"<div>\n{p}\n</div>", st.sampled_from(PAYLOADS)),
    st.builds(lambda cells, caption: "| a | b |\n|---|:-:|\n" + "\n".join(f"| {c} | {c} |" for c in cells) + caption,
              st.lists(inline, min_size=1, max_size=3), st.sampled_from(["", "\n\nTable: Data {#tab:data}", "\n\nTable: x"])),
    st.builds(lambda n, u: f"[{n}]: {u}", st.sampled_from(["ref", "x", "<s>"]), st.sampled_from(SCRIPT_URLS + OTHER_URLS)),
    st.builds(lambda p, a: f"![{a}]({p}){{#fig:plot}}", st.sampled_from(IMAGE_PATHS), word),
    st.just("***"),
    long_run,
)
block = st.recursive(leaf_block, _nested, max_leaves=12)
markdown_body = st.lists(block, max_size=10).map("\n\n".join)

# --- front matter ---------------------------------------------------------------------------------

yaml_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text_chars, st.sampled_from(PAYLOADS),
                        st.sampled_from(SCRIPT_URLS), st.dates().map(str), st.sampled_from(["no", "1.10", "0000000218250097",
                                                                                             "2024-13-45", ".nan", "1e400"]))
yaml_value = st.recursive(yaml_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                               st.dictionaries(text_chars, inner, max_size=4)), max_leaves=10)
FIELD_NAMES = ["title", "authors", "date", "abstract", "license", "keywords", "tags", "affiliations", "subject_models",
               "methods", "finding", "relations", "ai_involvement", "reproducibility", "claims", "version", "changes", "status",
               "retraction", "updated", "draft", "aliases", "doi", "arxiv", "bibliography", "supplements", "extra", "titel",
               "__proto__", "<script>"]
RAW_YAML = [
    "extra: !!python/object/apply:os.system ['true']", "extra: &a [*a]", "a: &x 1\nb: *x", "extra: {<<: {x: 1}}",
    "extra:\n\t- tab", "title: Foo: bar", "extra: [unclosed", "extra: 'unclosed", "extra: !custom x", "? [complex, key]\n: v",
    "%YAML 1.1", "--- second document", "extra: |\n  block\n  text", "extra: >-\n  folded", "extra: 0x1F", "extra: 0o17",
    "extra: 1_000", "extra: ~", "extra: =", "extra: !!binary aGVsbG8=", "extra: !!set {a, b}", "extra: !!omap [a: 1]",
    "extra: 2024-01-01T00:00:00Z", "extra: .inf", "extra: -.inf", "extra: .NaN", "title: null", "date: 2024-02-30",
    "authors: x", "authors: []", "code_url: javascript:alert(1)", "extra: {a: 1, a: 2}", "title: \"\\u202e\"",
]
SAFE_URL_FIELDS = {"relations": {"extends": ["sibling", "mirror:companion", "mirror:nope"], "uses_method_of": ["doi:10.1000/x1"]},
                   "reproducibility": {"code": f"javascript:{JS}", "data": "https://example.org/d"},
                   "subject_models": [{"name": "GPT-2", "url": "https://huggingface.co/gpt2"}]}


def base_front(title: str, abstract: str, date: str) -> dict[str, object]:
    return {"title": title, "authors": [{"name": "Fuzz Agent", "kind": "ai", "model": "fuzz-1"}], "date": date,
            "abstract": abstract}


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    """YAML text: a valid base most of the time, its values replaced or extended at random."""
    title = draw(st.one_of(st.just("A fuzzed paper"), st.sampled_from(PAYLOADS), paragraph.map(lambda s: s[:300])))
    abstract = draw(st.one_of(st.just("We fuzz."), paragraph.map(lambda s: s[:4000])))
    date = draw(st.sampled_from(["2026-01-15", "2026-01-15", "2099-01-01", "2024-02-29"]))
    data = base_front(title, abstract, date)
    for name in draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=4)):
        data[name] = draw(yaml_value)
    if draw(st.booleans()):
        data.update(draw(st.fixed_dictionaries({}, optional={k: st.just(v) for k, v in SAFE_URL_FIELDS.items()})))
    if draw(st.integers(0, 9)) == 0:
        data["bibliography"] = draw(st.sampled_from(["references.bib", "link-out.bib", "../sibling/references.bib", "bibdir"]))
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError):
        text = yaml.safe_dump(base_front("Unrepresentable", "x", date), sort_keys=False)
    for raw in draw(st.lists(st.sampled_from(RAW_YAML), max_size=2)):
        text += raw + "\n"
    return text


# --- BibTeX ------------------------------------------------------------------------------------------

bib_value = st.one_of(text_chars, st.sampled_from(PAYLOADS), st.sampled_from(SCRIPT_URLS),
                      st.sampled_from(["{Nested {braces}}", r"\'{e}l\`{e}ve", r"\url{javascript:x}", "{", "}", "\"", "@",
                                       "Doe, John and others", r"\verb|x|", "%comment", "#", "1e400"]))
bib_entry = st.builds(
    lambda kind, key, fields: f"@{kind}{{{key},\n" + "".join(f"  {k} = {{{v}}},\n" for k, v in fields) + "}\n",
    st.sampled_from(["article", "book", "misc", "inproceedings", "bogus", "comment", "string", "preamble"]),
    st.sampled_from(KEYS[:4] + ["", "x y", "dup", "dup"]),
    st.lists(st.tuples(st.sampled_from(["author", "title", "year", "journal", "doi", "url", "eprint", "note", "title"]),
                       bib_value), max_size=6))
bibtex = st.one_of(st.lists(bib_entry, max_size=5).map("\n".join), text_chars, st.just("@article{broken,\n title = {x"))


# --- the journal ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A symbolic link to create, pointing at `target` (relative to the link, or absolute)."""

    target: str


Entry = str | bytes | Link

SVG_PLAIN = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'
SVG_EVIL = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1"><script>window.__pwned=1</script>'
            b'<foreignObject><iframe src="javascript:window.__pwned=1"/></foreignObject></svg>')

#: Files a paper folder may hold: figures good and bad, links inside and out, loops.
FOLDER_FILES: dict[str, Entry] = {
    "figures/fig.png": PNG_3x2,
    "figures/fake.png": f"<html><script>{JS}</script></html>",
    "figures/evil.svg": SVG_EVIL,
    "figures/plain.svg": SVG_PLAIN,
    "figures/fig.gif": b"GIF89a\xff\xff\xff\xff" + b"\0" * 8,
    "figures/link-out.png": Link("../../../../outside/secret.png"),
    "figures/link-in.png": Link("fig.png"),
    "figures/loop.png": Link("loop.png"),
    "figdir": Link("../../../outside"),
    "link-out.bib": Link("../../../outside/secret.bib"),
    "bibdir/x": "not a bibliography",
    "code/run.py": "print('x')\n",
    "data/link.csv": Link("../../../../outside/secret.txt"),
    "reviews/01-reviewer.md": "---\nreviewer: {name: R, kind: ai, model: m}\ndate: 2026-01-16\nrecommendation: accept\n---\n"
                              f"Looks fine. <script>{JS}</script> [x](javascript:{JS})\n",
    "reviews/02-bad.md": Link("../../../../outside/secret.txt"),
    "reviews/03-folder.md/inner.txt": "a folder named like a review",
    "versions/v1.md": "---\ntitle: old\n---\n",
}


@st.composite
def paper_folder(draw: st.DrawFn, slug: str) -> dict[str, Entry]:
    base = f"papers/{slug}/"
    files: dict[str, Entry] = {}
    body = draw(markdown_body)
    text = "---\n" + draw(front_matter()) + "---\n" + body + "\n"
    encoding = draw(st.sampled_from(["utf-8"] * 8 + ["utf-8-sig", "crlf", "cp1252", "nul"]))
    if encoding == "utf-8":
        files[base + "paper.md"] = text
    elif encoding == "utf-8-sig":
        files[base + "paper.md"] = text.encode("utf-8-sig")
    elif encoding == "crlf":
        files[base + "paper.md"] = text.replace("\n", "\r\n").encode("utf-8")
    elif encoding == "cp1252":
        files[base + "paper.md"] = text.encode("utf-8") + b"\x96\n"
    else:
        files[base + "paper.md"] = text.encode("utf-8").replace(b"\n", b"\n\0", 1)
    for name in draw(st.lists(st.sampled_from(sorted(FOLDER_FILES)), max_size=6, unique=True)):
        files[base + name] = FOLDER_FILES[name]
    if draw(st.booleans()):
        files[base + draw(st.sampled_from(["references.bib", "paper.bib"]))] = draw(bibtex)
    return files


SLUGS = ["fuzz-a", "fuzz-b", "sibling", "sibling-evil", "Fuzz-A", ".hidden", "feed", "con", "a--b", "é", "x" * 81, "trailing."]


@st.composite
def journals(draw: st.DrawFn) -> dict[str, Entry]:
    """One to three generated papers (mostly well-named), next to a valid companion paper."""
    slugs = draw(st.lists(st.sampled_from(SLUGS[:4] * 3 + SLUGS), min_size=1, max_size=3, unique=True))
    files: dict[str, Entry] = {
        "papers/companion/paper.md": "---\n" + yaml.safe_dump(base_front("Companion", "A valid paper.", "2026-01-10"))
                                     + "---\n# Intro\n\nText.\n",
    }
    for slug in slugs:
        files.update(draw(paper_folder(slug)))
    if draw(st.integers(0, 4)) == 0:
        files["papers/linked"] = Link("companion")  # a symlinked paper folder
    return files


def write_tree(root: Path, files: dict[str, Entry]) -> None:
    """Write a generated journal under `root/journal`, and the secrets it must never read under `root/outside`."""
    outside = root / "outside"
    outside.mkdir(parents=True, exist_ok=True)
    for name in ("secret.png", "secret.bib", "secret.txt"):
        (outside / name).write_text(SECRET_TEXT + "\n", encoding="utf-8")
    journal = root / "journal"
    for name, content in files.items():
        target = journal / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            if not os.path.lexists(target):
                target.symlink_to(content.target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def describe(files: dict[str, Entry]) -> str:
    """The journal as text, for a failing example's report."""
    parts = []
    for name, content in sorted(files.items()):
        shown = f"-> {content.target}" if isinstance(content, Link) else repr(content)[:3000]
        parts.append(f"== {name}\n{textwrap.indent(shown, '  ')}")
    return "\n".join(parts)
