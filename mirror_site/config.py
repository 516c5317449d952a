"""The journal's configuration, `mirror.toml`: typed, strict, every problem named with its line."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, error
from .licenses import SPDX_IDS

DEFAULT_METHODS = (
    "activation-patching", "attribution-patching", "path-patching", "causal-scrubbing", "probing",
    "sparse-autoencoder", "transcoder", "crosscoder", "logit-lens", "tuned-lens", "steering",
    "ablation", "circuit-discovery", "attention-analysis", "feature-visualization",
    "training-dynamics", "behavioural-evaluation", "theory",
)


@dataclass(frozen=True)
class Limits:
    """Caps that keep pathological input bounded. Sizes in bytes, times in CPU seconds."""

    max_paper_bytes: int = 2_000_000  #: paper.md
    max_front_matter_bytes: int = 65_536
    max_figure_bytes: int = 20_000_000
    max_figure_pixels: int = 50_000_000  #: width × height, against decompression bombs
    max_highlight_lines: int = 5_000  #: longer code blocks are shown without highlighting
    max_bib_bytes: int = 2_000_000
    max_render_seconds: int = 60  #: CPU seconds to render one paper: a guard against hangs, never reached normally


@dataclass(frozen=True)
class Config:
    """What `mirror.toml` may say. Every field has a default, so an empty file is a valid journal."""

    title: str = "Mirror"
    description: str = "An automated journal of AI interpretability research."
    base_url: str = "http://127.0.0.1:8000/"  #: absolute, ends with `/`
    language: str = "en"
    license: str = "CC-BY-4.0"  #: default SPDX licence of papers
    publisher: str = "Mirror"
    methods: tuple[str, ...] = DEFAULT_METHODS  #: the controlled vocabulary of `methods:`
    ignorable_keys: tuple[str, ...] = ()  #: front-matter keys of other tools to ignore (`output`, `csl`)
    max_held_back: int = -1  #: fail the build when more papers are held back; -1 means no limit
    tag_authority: str = ""  #: `host,YYYY` of Atom/JSON Feed `tag:` ids (RFC 4151); "" = base_url's host, oldest paper's year
    feed_entries: int = 50  #: newest papers in each feed (feeds are for news; the corpus holds everything)
    sitemap_max_urls: int = 50_000  #: URLs per sitemap file before it becomes an index with shards (protocol limit)
    corpus_shard_bytes: int = 50_000_000  #: past this size papers.jsonl becomes gzip shards by issue
    llms_full_max_bytes: int = 20_000_000  #: llms-full.txt stops adding papers here (newest first); the corpus has all
    review_criteria: tuple[str, ...] = ("soundness", "significance", "clarity", "reproducibility")  #: review score names
    review_scale: tuple[str, ...] = ("poor", "fair", "good", "very good", "excellent")  #: labels of scores 1..N
    limits: Limits = Limits()

    @property
    def base_path(self) -> str:
        """The path part of `base_url`, e.g. `/` or `/sub/path/`: prefix of every internal link."""
        return "/" + self.base_url.split("://", 1)[1].partition("/")[2]

    def with_base_url(self, url: str) -> Config:
        return replace(self, base_url=url if url.endswith("/") else url + "/")


_TYPES: dict[str, type] = {"str": str, "int": int}


def _key_line(text: str, table: str, key: str) -> int:
    """The line of `key` inside `[table]` (tomllib keeps no positions, so we look it up)."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            current = stripped.strip("[] ")
            if not key and current == table:
                return number
        elif current == table and re.match(rf'["\']?{re.escape(key)}["\']?\s*=', stripped):
            return number
    return 1


def _check_table(values: dict[str, Any], cls: type, table: str, text: str, path: str,
                 problems: list[Diagnostic]) -> dict[str, Any]:
    known = {f.name: f for f in fields(cls)}
    accepted: dict[str, Any] = {}
    for key, value in values.items():
        line = _key_line(text, table, key)
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean `{close[0]}`?" if close else "known keys: " + ", ".join(sorted(known))
            problems.append(error(path, line, 1, "config-unknown-key", f"unknown key `{key}`", hint))
            continue
        default = getattr(cls(), key)
        if isinstance(default, Limits):
            if isinstance(value, dict):
                accepted[key] = Limits(**_check_table(value, Limits, key, text, path, problems))
            else:
                problems.append(error(path, line, 1, "config-type", f"`{key}` must be a table", f"write [{key}]"))
        elif isinstance(default, tuple):
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                accepted[key] = tuple(value)
            else:
                problems.append(error(path, line, 1, "config-type", f"`{key}` must be a list of strings",
                                      f'write {key} = ["a", "b"]'))
        elif type(value) is not type(default):
            problems.append(error(path, line, 1, "config-type",
                                  f"`{key}` must be {type(default).__name__}, not {type(value).__name__}",
                                  f"write {key} = {default!r}".replace("'", '"')))
        else:
            accepted[key] = value
    return accepted


def load_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    """Read `root/mirror.toml` (absent: defaults). Problems are configuration errors (exit 2)."""
    path = "mirror.toml"
    file = root / path
    if not file.exists():
        return Config(), []
    text = file.read_text(encoding="utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (1, 1)
        return Config(), [error(path, line, col, "config-syntax", f"invalid TOML: {exc}", "see https://toml.io")]
    problems: list[Diagnostic] = []
    config = Config(**_check_table(raw, Config, "", text, path, problems))
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", config.base_url):
        problems.append(error(path, _key_line(text, "", "base_url"), 1, "config-value",
                              f"`base_url` must be an absolute http(s) URL, not `{config.base_url}`",
                              'write base_url = "https://journal.example.org/"'))
    elif not config.base_url.endswith("/"):
        config = config.with_base_url(config.base_url)
    if config.tag_authority and not re.fullmatch(r"[a-z0-9.\-]+,\d{4}(-\d{2}(-\d{2})?)?", config.tag_authority):
        problems.append(error(path, _key_line(text, "", "tag_authority"), 1, "config-value",
                              f"`tag_authority` must be `host,YYYY` (RFC 4151), not `{config.tag_authority}`",
                              'write tag_authority = "journal.example.org,2026": a domain you held that year'))
    for key in ("feed_entries", "sitemap_max_urls", "corpus_shard_bytes", "llms_full_max_bytes"):
        if getattr(config, key) < 1:
            problems.append(error(path, _key_line(text, "", key), 1, "config-value", f"`{key}` must be at least 1",
                                  f"remove `{key}` to use the default"))
    for key in (f.name for f in fields(Limits)):
        if getattr(config.limits, key) < 1:
            problems.append(error(path, _key_line(text, "limits", key), 1, "config-value", f"`limits.{key}` must be at least 1",
                                  f"remove `{key}` to use the default"))
    if len(config.review_scale) < 2 or not config.review_criteria:
        problems.append(error(path, _key_line(text, "", "review_scale"), 1, "config-value",
                              "`review_scale` needs at least two labels and `review_criteria` at least one name",
                              'e.g. review_scale = ["poor", "fair", "good", "very good", "excellent"]'))
    if config.license not in SPDX_IDS:
        problems.append(error(path, _key_line(text, "", "license"), 1, "config-value",
                              f"`license` is not an SPDX identifier: `{config.license}`",
                              'use an id from https://spdx.org/licenses/, e.g. "CC-BY-4.0"'))
    return config, problems
