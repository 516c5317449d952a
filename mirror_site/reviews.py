"""Review reports: `reviews/*.md` of a paper folder, validated like papers (an invalid review holds
its paper back), rendered, and published as pages and JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import front_matter
from .config import Config
from .diagnostics import Diagnostic, error
from .load import decode
from .model import SourcePaper
from .render import render_markdown
from .schema import INVALID, Checker, Choice, Date, Field, Integer, Record, Text

RECOMMENDATIONS = ("accept", "minor-revision", "major-revision", "reject")


def review_record(config: Config) -> Record:
    scores = Record({name: Field(Integer(minimum=1, maximum=len(config.review_scale))) for name in config.review_criteria})
    return Record({
        "reviewer": Field(Record({
            "name": Field(Text(max_length=200), required=True),
            "kind": Field(Choice(("ai", "human")), required=True, doc="`ai` or `human`"),
            "model": Field(Text(max_length=300), doc="for AI reviewers: the system name and exact version"),
        }), required=True),
        "date": Field(Date(), required=True),
        "recommendation": Field(Choice(RECOMMENDATIONS), required=True),
        "scores": Field(scores),
    })


@dataclass(frozen=True)
class Review:
    name: str  #: the file name without `.md`: the review's URL segment
    path: str  #: `papers/<slug>/reviews/<name>.md`
    reviewer: str
    kind: str
    model: str
    date: str
    recommendation: str
    scores: tuple[tuple[str, int], ...]  #: (criterion, score) in the journal's rubric order
    html: str


def load_reviews(source: SourcePaper, config: Config) -> tuple[list[Review], list[Diagnostic]]:
    folder = source.folder / "reviews"
    if not folder.is_dir() or folder.is_symlink():
        return [], []
    reviews, problems = [], []
    for file in sorted(folder.glob("*.md")):
        path = f"papers/{source.slug}/reviews/{file.name}"
        # Not a regular file (a link, a folder, a FIFO that would block the read): refused, never opened.
        if file.is_symlink() or not file.is_file() or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", file.stem):
            problems.append(error(path, 0, 0, "review-name", "review files must be regular files named like `01-reviewer.md`",
                                  "use lowercase letters, digits and hyphens"))
            continue
        size = file.stat().st_size
        if size > config.limits.max_paper_bytes:
            problems.append(error(path, 1, 1, "paper-too-large",
                                  f"the review is {size} bytes, over the limit of {config.limits.max_paper_bytes}",
                                  "shorten the review or raise `limits.max_paper_bytes` in mirror.toml"))
            continue
        review, found = _load(file.read_bytes(), path, file.stem, source, config)
        problems += found
        if review is not None:
            reviews.append(review)
    return reviews, problems


def _load(raw: bytes, path: str, name: str, source: SourcePaper, config: Config) -> tuple[Review | None, list[Diagnostic]]:
    text = decode(raw, path)
    if isinstance(text, Diagnostic):
        return None, [text]
    split = front_matter.split(text, path)
    if isinstance(split, Diagnostic):
        return None, [split]
    parsed = front_matter.parse(split, path, config.limits.max_front_matter_bytes)
    if isinstance(parsed, Diagnostic):
        return None, [parsed]
    checker = Checker(path, parsed.positions, {})
    data: Any = review_record(config).check(parsed.data, (), checker)
    if data is not INVALID and data["reviewer"]["kind"] == "ai" and not data["reviewer"].get("model"):
        checker.error(("reviewer",), "author-model", "an AI reviewer needs `model`", "add `model:` under `reviewer:`")
    if data is INVALID or any(p.level == "error" for p in checker.problems):
        return None, checker.problems
    # The reviews page shows every report: ids are prefixed by the report's name so that none repeats.
    html, problems = render_markdown(split.body, path, split.body_line, source.folder, config.limits, f"review-{name}-")
    problems = checker.problems + problems
    if any(p.level == "error" for p in problems):
        return None, problems
    reviewer = data["reviewer"]
    scores = tuple((c, data.get("scores", {})[c]) for c in config.review_criteria if c in data.get("scores", {}))
    return Review(name, path, reviewer["name"], reviewer["kind"], reviewer.get("model", ""), data["date"],
                  data["recommendation"], scores, html), problems
