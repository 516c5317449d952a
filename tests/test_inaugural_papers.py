"""The journal's own papers (papers/): figures exist, the journal builds cleanly, and every number in each
abstract is the number in that paper's data/results.json.

CI does not rerun the experiments. It checks what a reader can check: that the paper shows the figures its
code wrote, that Mirror publishes it with every citation and cross-reference resolved, and that the
abstract reports the results file faithfully.

How the abstract check works
----------------------------
Each paper declares, in the free `extra:` mapping of its front matter,

    extra:
      headline_numbers:            # every result number of the abstract, tied to results.json
        - {text: "6,300", key: milestones.grokking_delay_steps}
        - {text: "0.082", min: "embedding.cos_distance_to_always.often|usually|once"}
      headline_numbers_ignore:     # the few numbers that are not results, each with its reason
        - {text: "2", reason: "the machine had 2 cores"}

1. Every number is extracted from the abstract (`abstract_numbers`). Three kinds of digits are not numbers
   and are dropped first, by rule: citation years ("Nanda et al. (2023)"), enumeration markers standing
   alone ("(1)", "(2)"), and digits glued to letters, which are names ("all-MiniLM-L6-v2", "L1H0").
   "3\\times10^{-6}" is one number, and a trailing "%", "K" or "M" belongs to its number.
2. The numbers extracted must be exactly the `text`s of `headline_numbers` plus those of
   `headline_numbers_ignore` (as multisets: a number written twice is listed twice, or with `count: 2` in
   the ignore list). So an unlisted number in the abstract fails, and so does a listed one that is gone.
3. Each entry of `headline_numbers` names its value in results.json with a path (`key`) or a small
   expression (see `evaluate`), and the value, written the way the abstract writes it, must equal `text`.
   "Written the way" means: a "%" multiplies by 100, "K" divides by 1,000 and "M" by 1,000,000;
   "a\\times10^{b}" divides by 10^b; the value is then rounded half-up, from its shortest decimal
   representation, to as many decimals as `text` shows, with thousands separators when `text` has them.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PROJECT, run

PAPERS = PROJECT / "papers"
SLUGS = sorted(p.name for p in PAPERS.iterdir() if (p / "paper.md").is_file())

# --- reading a paper -------------------------------------------------------------------------------------

FIGURE = re.compile(r"!\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def split_paper(folder: Path) -> tuple[dict[str, Any], str]:
    text = (folder / "paper.md").read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n(?:---|\.\.\.)\n(.*)", text, re.S)
    assert match, f"{folder.name}: no front matter"
    return yaml.safe_load(match.group(1)), match.group(2)


def figures(body: str) -> list[str]:
    """The image paths of `![...](path)` in the body, outside code fences and code spans."""
    body = re.sub(r"^(```|~~~).*?^\1", "", body, flags=re.S | re.M)
    body = re.sub(r"`[^`\n]*`", "", body)
    return FIGURE.findall(body)


# --- numbers in text -------------------------------------------------------------------------------------

NOT_NUMBERS = [
    re.compile(r"et al\.,?\s*\(?\d{4}[a-z]?\)?"),  # citation years
    re.compile(r"(?<![\w)])\(\d{1,2}\)(?=\s)"),  # enumeration markers: "(1) Grokking: ..."
    re.compile(r"(?<![\\\w])[A-Za-z][\w-]*\d[\w-]*"),  # names with digits glued to letters: L6, v2, L1H0, MiniLM-L6-v2
]
SCIENTIFIC = r"\d+(?:\.\d+)?\s*\\times\s*10\^\{?[-−]?\d+\}?"
PLAIN = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:%|K|M)?"
NUMBER = re.compile(rf"(?<![\w.,^{{])(?:(?<=[\s($])[-−])?(?:{SCIENTIFIC}|{PLAIN})(?![\w])")


def abstract_numbers(text: str) -> list[str]:
    """Every number written in `text`, in order, after the rule-based exclusions of the module docstring."""
    for pattern in NOT_NUMBERS:
        text = pattern.sub(" ", text)
    return [m.group(0).replace("−", "-") for m in NUMBER.finditer(text)]


def written_as(text: str, value: float | int) -> str:
    """`value` written the way `text` writes its number (see the module docstring)."""
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    sci = re.fullmatch(r"(\d+(?:\.\d+)?)\s*\\times\s*10\^\{?([-−]?\d+)\}?", body)
    if sci:
        mantissa, exponent = sci.group(1), int(sci.group(2).replace("−", "-"))
        return f"{_rounded(number.scaleb(-exponent), mantissa)}\\times10^{{{exponent}}}"
    suffix = body[-1] if body[-1] in "%KM" else ""
    scale = {"%": Decimal(100), "K": Decimal("0.001"), "M": Decimal("0.000001"), "": Decimal(1)}[suffix]
    rounded = _rounded(number * scale, body.removesuffix(suffix))
    return f"{rounded}{suffix}" if not sign else f"-{rounded.lstrip('-')}{suffix}"


def _rounded(number: Decimal, like: str) -> str:
    decimals = len(like.split(".")[1]) if "." in like else 0
    quantum = Decimal(1).scaleb(-decimals)
    q = number.quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{q:,.{decimals}f}" if "," in like else f"{q:.{decimals}f}"


def normalise(text: str) -> str:
    sci = re.fullmatch(r"(-?)(\d+(?:\.\d+)?)\s*\\times\s*10\^\{?([-−]?\d+)\}?", text.replace("−", "-"))
    return f"{sci.group(1)}{sci.group(2)}\\times10^{{{int(sci.group(3))}}}" if sci else text.replace("−", "-")


# --- values in results.json ------------------------------------------------------------------------------

Labelled = list[tuple[str, Any]]


def lookup(data: Any, path: str) -> Labelled:
    """The values at a dotted path. A segment is a key or a list index; `*` takes every child and `a|b|c`
    the children named, in that order. Returns (label, value) pairs; the label is the last matched segment."""
    found: Labelled = [("", data)]
    for segment in path.split("."):
        step: Labelled = []
        for _, node in found:
            names = (list(node) if isinstance(node, dict) else [str(i) for i in range(len(node))]) if segment == "*" \
                else segment.split("|")
            for name in names:
                if isinstance(node, dict):
                    assert name in node, f"{path}: no key {name!r}"
                    step.append((name, node[name]))
                else:
                    assert isinstance(node, list) and name.isdigit() and int(name) < len(node), f"{path}: no index {name}"
                    step.append((name, node[int(name)]))
        found = step
    for label, value in found:
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{path} [{label}] is not a number: {value!r}"
    return found


OPERATORS = ("key", "all", "min", "max", "sum", "argmin", "argmax", "abs", "ratio", "difference", "product", "max_each")


def evaluate(data: Any, spec: Any) -> Labelled:
    """A value spec: a path (see `lookup`), a list of specs (their values one after another), or a mapping
    with one operator:
    `key: path`; `all`, `min`, `max`, `sum`, `argmin`, `argmax` of a spec (argmin and argmax give the label,
    e.g. the index, of the extreme value; `all` keeps every value, and each must be written as the text);
    `abs` of a spec; `ratio`, `difference`, `product` of two specs, element by element (a single value is
    broadcast); `max_each` of a list of specs of equal length: their element-wise maximum."""
    if isinstance(spec, str):
        return lookup(data, spec)
    if isinstance(spec, list):
        return [labelled for part in spec for labelled in evaluate(data, part)]
    assert isinstance(spec, dict) and len(spec) == 1, f"a value spec needs exactly one operator: {spec!r}"
    ((op, arg),) = spec.items()
    assert op in OPERATORS, f"unknown operator {op!r}"
    if op in ("key", "all"):
        return evaluate(data, arg)
    if op in ("min", "max", "sum", "argmin", "argmax"):
        values = evaluate(data, arg)
        assert values, f"{op} of nothing: {arg!r}"
        if op == "sum":
            return [("", sum(v for _, v in values))]
        pick = (min if op in ("min", "argmin") else max)(values, key=lambda lv: lv[1])
        return [pick] if op in ("min", "max") else [("", int(pick[0]))]
    if op == "abs":
        return [(label, abs(v)) for label, v in evaluate(data, arg)]
    if op == "max_each":
        columns = [evaluate(data, a) for a in arg]
        assert len({len(c) for c in columns}) == 1, f"max_each of specs of different lengths: {arg!r}"
        return [("", max(row[1] for row in rows)) for rows in zip(*columns, strict=True)]
    left, right = (evaluate(data, a) for a in arg)
    if len(left) == 1 < len(right):
        left = left * len(right)
    if len(right) == 1 < len(left):
        right = right * len(left)
    assert len(left) == len(right), f"{op}: lengths {len(left)} and {len(right)} differ"
    combine = {"ratio": lambda a, b: a / b, "difference": lambda a, b: a - b, "product": lambda a, b: a * b}[op]
    return [(la, combine(a, b)) for (la, a), (_, b) in zip(left, right, strict=True)]


def check_abstract(front: dict[str, Any], results: Any) -> list[str]:
    """Every problem with the abstract's numbers, as readable lines (empty when the abstract is faithful)."""
    extra = front.get("extra") or {}
    listed = extra.get("headline_numbers") or []
    ignored = extra.get("headline_numbers_ignore") or []
    problems: list[str] = []
    if not listed:
        return ["extra.headline_numbers is missing or empty"]
    for item in ignored:
        if not str(item.get("reason", "")).strip():
            problems.append(f"ignored number {item.get('text')!r} gives no reason")
    written = Counter(normalise(n) for n in abstract_numbers(str(front["abstract"])))
    declared = Counter(normalise(str(item["text"])) for item in listed)
    for item in ignored:
        declared[normalise(str(item["text"]))] += int(item.get("count", 1))
    for number, n in (written - declared).items():
        problems.append(f"the abstract writes {number!r} {n} more time(s) than headline_numbers and the ignore list declare")
    for number, n in (declared - written).items():
        problems.append(f"{number!r} is declared {n} more time(s) than the abstract writes it")
    for item in listed:
        text = normalise(str(item["text"]))
        spec = {k: v for k, v in item.items() if k not in ("text", "note")}
        try:
            values = evaluate(results, spec)
        except (AssertionError, KeyError, TypeError, ValueError, ZeroDivisionError) as error:
            problems.append(f"{text!r}: cannot evaluate {spec!r}: {error}")
            continue
        if "all" not in spec and len(values) != 1:
            problems.append(f"{text!r}: {spec!r} gives {len(values)} values, not one (use min, max, all...)")
            continue
        for label, value in values:
            shown = normalise(written_as(text, value))
            if shown != text:
                where = f" [{label}]" if label else ""
                problems.append(f"the abstract says {text!r} but results.json gives {value!r}{where}, written {shown!r} ({spec!r})")
    return problems


# --- the papers ------------------------------------------------------------------------------------------


def test_the_journal_has_its_three_papers() -> None:
    assert len(SLUGS) >= 3, SLUGS


@pytest.mark.parametrize("slug", SLUGS)
def test_every_referenced_figure_exists(slug: str) -> None:
    folder = PAPERS / slug
    _, body = split_paper(folder)
    paths = figures(body)
    assert paths, f"{slug} shows no figure"
    for path in paths:
        target = (folder / path).resolve()
        assert target.is_relative_to(folder.resolve()), f"{slug}: {path} leaves the paper folder"
        assert target.is_file(), f"{slug}: figure {path} does not exist"
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{slug}: {path} is not a PNG"


@pytest.mark.parametrize("slug", SLUGS)
def test_abstract_numbers_equal_results_json(slug: str) -> None:
    folder = PAPERS / slug
    front, _ = split_paper(folder)
    results = json.loads((folder / "data" / "results.json").read_text(encoding="utf-8"))
    problems = check_abstract(front, results)
    assert not problems, f"{slug}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("slug", SLUGS)
def test_reproducibility_is_recorded(slug: str) -> None:
    """The one command, its measured run time, and a fresh environment's requirements, published."""
    folder = PAPERS / slug
    front, _ = split_paper(folder)
    repro = front["reproducibility"]
    assert repro["command"] == f"cd papers/{slug} && python code/run.py"
    described = f"{repro.get('environment', '')} {repro.get('compute', {}).get('hardware', '')}"
    results = json.loads((folder / "data" / "results.json").read_text(encoding="utf-8"))
    seconds = results["runtime_seconds"]
    wall = seconds["total"] if isinstance(seconds, dict) else seconds
    cpu = results.get("runtime_cpu_process_seconds") or seconds.get("total_cpu_process")
    assert f"{round(wall):,} s wall" in described, f"{slug}: wall time {round(wall):,} s not recorded"
    assert f"{round(cpu):,} s CPU" in described, f"{slug}: CPU time {round(cpu):,} s not recorded"
    assert "code/requirements.txt" in repro["environment"]
    assert (folder / "code" / "requirements.txt").is_file()
    assert "torch==2.13.0" in (folder / "code" / "requirements.txt").read_text(encoding="utf-8")
    supplements = {s["path"] for s in front["supplements"]}
    assert {"code/run.py", "code/requirements.txt", "data/results.json"} <= supplements


def test_the_journal_publishes_every_paper_without_a_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A strict check of a copy of the repository's journal: all papers publish, nothing is reported, so
    every citation, cross-reference, figure and supplement resolved."""
    root = tmp_path / "journal"
    root.mkdir()
    shutil.copy(PROJECT / "mirror.toml", root / "mirror.toml")
    for name in ("papers", "templates", "static"):
        if (PROJECT / name).is_dir():
            shutil.copytree(PROJECT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    latest = max(datetime.date.fromisoformat(str(split_paper(PAPERS / s)[0]["date"])) for s in SLUGS)
    epoch = datetime.datetime.combine(latest, datetime.time(12), datetime.UTC).timestamp()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(epoch)))  # publishable whatever the clock says
    result = run(root, write=False, strict=True)
    assert [str(d) for d in result.diagnostics] == []
    assert result.exit_code == 0, result.failure
    assert sorted(result.published) == SLUGS
    assert not result.held_back


# --- the checker itself can fail -------------------------------------------------------------------------


def test_number_extraction_rules() -> None:
    text = ("We repeat Nanda et al. (2023) on a 2-core CPU with all-MiniLM-L6-v2 and head L1H0. (1) Grokking: "
            "test accuracy passes 99% at step 6,500; 227K parameters; scores of 0.83–0.86, 1,250/1,250; "
            "against $3\\times10^{-6}$ for random frequencies, and $p = 113$.")
    assert abstract_numbers(text) == ["2", "99%", "6,500", "227K", "0.83", "0.86", "1,250", "1,250",
                                      "3\\times10^{-6}", "113"]


@pytest.mark.parametrize(("text", "value", "ok"), [
    ("6,300", 6300, True), ("6300", 6300, True), ("6,300", 6301, False),
    ("0.84", 0.8346714377403259, False), ("0.83", 0.8346714377403259, True),
    ("91.6%", 0.9159132807011824, True), ("91.7%", 0.9159132807011824, False),
    ("227K", 226688, True), ("0.843", 0.8425, True), ("0.948", 0.9475, True),
    ("3\\times10^{-6}", 2.5989045036034497e-06, True), ("2\\times10^{-6}", 2.5989045036034497e-06, False),
    ("1.00", 0.9996258491121821, True), ("29.2", 29.197309494018555, True),
])
def test_numbers_are_compared_as_written(text: str, value: float, ok: bool) -> None:
    assert (normalise(written_as(text, value)) == normalise(text)) is ok


def test_a_wrong_or_unlisted_abstract_number_fails() -> None:
    results = {"a": {"b": [0.8346714377403259, 0.8617497086524963]}, "n": 6300, "p": 113}
    front = {"abstract": "Scores of 0.83–0.86 after a 6,300-step delay, for p = 113 and (1) one seed (Olsson et al. (2022)).",
             "extra": {"headline_numbers": [{"text": "0.83", "min": "a.b.*"}, {"text": "0.86", "max": "a.b.*"},
                                            {"text": "6,300", "key": "n"}],
                       "headline_numbers_ignore": [{"text": "113", "reason": "the modulus, a setting"}]}}
    assert check_abstract(front, results) == []
    wrong = dict(front, abstract=front["abstract"].replace("0.83", "0.84"))
    assert any("'0.84'" in p for p in check_abstract(wrong, results))
    unlisted = dict(front, abstract=front["abstract"] + " Loss 4.19.")
    assert any("'4.19'" in p for p in check_abstract(unlisted, results))
    gone = dict(front, abstract=front["abstract"].replace("6,300-step", "long"))
    assert any("'6,300'" in p for p in check_abstract(gone, results))
    bad_key = {**front, "extra": {**front["extra"], "headline_numbers": [{"text": "6,300", "key": "m"}]}}
    assert any("cannot evaluate" in p for p in check_abstract(bad_key, results))


def test_a_real_abstract_with_a_changed_number_fails() -> None:
    """Changing any one result number of a real abstract, in the abstract and in its declaration alike (so
    that only the comparison with results.json can notice), is caught."""
    for slug in SLUGS:
        front, _ = split_paper(PAPERS / slug)
        results = json.loads((PAPERS / slug / "data" / "results.json").read_text(encoding="utf-8"))
        listed = front["extra"]["headline_numbers"]
        for index, item in enumerate(listed):
            text = str(item["text"])
            last = max(i for i, c in enumerate(text) if c.isdigit())
            mutated = text[:last] + str((int(text[last]) + 1) % 10) + text[last + 1:]
            pattern = re.compile(r"(?<![\d.,])" + re.escape(text) + r"(?![\d])")
            abstract, n = pattern.subn(mutated.replace("\\", "\\\\"), str(front["abstract"]), count=1)
            assert n == 1, f"{slug}: {text} not found in the abstract"
            entries = [dict(e, text=mutated) if i == index else e for i, e in enumerate(listed)]
            changed = dict(front, abstract=abstract, extra=dict(front["extra"], headline_numbers=entries))
            problems = check_abstract(changed, results)
            assert problems and all(f"says {normalise(mutated)!r}" in p for p in problems), \
                f"{slug}: changing {text} to {mutated} was not caught as a mismatch: {problems}"
