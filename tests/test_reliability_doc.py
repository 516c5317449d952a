"""docs/reliability.md and the case table of RELIABILITY.md cannot drift from the tests: every row 1–75
(57b too) appears in the doc with test references that exist, every row is named by a test (its name
`test_row_N_…`, its docstring "Row N", or the `row` of an invalid-case fixture), and every test named
after a row or an extra case is listed in the doc."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

TESTS = Path(__file__).resolve().parent
DOC = TESTS.parent / "docs" / "reliability.md"
ROWS = [str(n) for n in range(1, 76)] + ["57b"]
REFERENCE = re.compile(r"`tests/(test_\w+\.py)::(test_\w+)(?:\[([^\]`]+)\])?`")
NUMBER = r"X?\d+[a-z]?"
MENTION = re.compile(rf"\brows?\s+({NUMBER}(?:\s*(?:,|and|–|-)\s*{NUMBER})*)", re.IGNORECASE)


@cache
def functions_of(file: str) -> dict[str, str]:
    """Test function name → docstring, for one test module."""
    tree = ast.parse((TESTS / file).read_text(encoding="utf-8"))
    return {node.name: ast.get_docstring(node) or "" for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test")}


def rows_named(text: str) -> set[str]:
    """`Row 52`, `rows 59, 60`, `rows 64–75` → the row labels they name."""
    found: set[str] = set()
    for match in MENTION.finditer(text):
        tokens = re.split(r"\s*(,|and|–|-)\s*", match[1])
        for index in range(0, len(tokens), 2):
            found.add(tokens[index])
            if index >= 2 and tokens[index - 1] in "–-" and tokens[index].isdigit() and tokens[index - 2].isdigit():
                found |= {str(n) for n in range(int(tokens[index - 2]), int(tokens[index]) + 1)}
    return found


def table() -> dict[str, str]:
    """Row label → its line in the doc's two tables of cases (the sections before "Faults exercised")."""
    found = {}
    text = DOC.read_text(encoding="utf-8")
    for line in text[: text.index("\n## Faults exercised")].splitlines():
        match = re.match(rf"\| ({NUMBER}) \|", line)
        if match:
            found[match[1]] = line
    return found


def test_every_row_is_in_the_doc_with_tests() -> None:
    rows = table()
    missing = [row for row in ROWS if row not in rows or not REFERENCE.search(rows[row])]
    assert not missing, f"docs/reliability.md has no row with tests for: {missing}"


def test_every_test_reference_in_the_doc_exists() -> None:
    problems = []
    for row, line in table().items():
        for file, name, parameter in REFERENCE.findall(line):
            if not (TESTS / file).is_file() or name not in functions_of(file):
                problems.append(f"row {row}: tests/{file}::{name} does not exist")
            elif file == "test_invalid_cases.py" and parameter:
                case = TESTS / "fixtures" / "invalid" / parameter / "case.json"
                if not case.is_file():
                    problems.append(f"row {row}: no fixture folder {parameter}")
                elif str(json.loads(case.read_text(encoding="utf-8"))["row"]) != row.rstrip("ab"):
                    problems.append(f"row {row}: fixture {parameter} is for another row")
    assert not problems, "\n".join(problems)


def covered_rows() -> dict[str, list[str]]:
    """Row label → the tests that name it (by test name, docstring or invalid-case fixture)."""
    covered: dict[str, list[str]] = {}
    for module in sorted(TESTS.glob("test_*.py")):
        for name, doc in functions_of(module.name).items():
            named = set(re.findall(r"^test_row_(\d+[a-z]?)_", name)) | {f"X{n}" for n in re.findall(r"^test_x(\d+)_", name)}
            for row in named | rows_named(doc):
                covered.setdefault(row, []).append(f"{module.name}::{name}")
    for case in sorted((TESTS / "fixtures" / "invalid").glob("*/case.json")):
        row = str(json.loads(case.read_text(encoding="utf-8"))["row"])
        covered.setdefault(row, []).append(f"test_invalid_cases.py::test_case[{case.parent.name}]")
    return covered


def test_every_row_is_named_by_a_test() -> None:
    covered = covered_rows()
    missing = [row for row in ROWS if row not in covered]
    assert not missing, f"no test names these rows of RELIABILITY.md (in its name or docstring): {missing}"


def test_every_row_test_is_listed_in_the_doc() -> None:
    listed = {f"{file}::{name}" for line in table().values() for file, name, _ in REFERENCE.findall(line)}
    unlisted = sorted(test for module in TESTS.glob("test_*.py") for name in functions_of(module.name)
                      if re.match(r"test_(row_\d+|x\d+)_", name) and (test := f"{module.name}::{name}") not in listed)
    assert not unlisted, f"add these tests to their row in docs/reliability.md: {unlisted}"


def test_the_row_parser() -> None:
    assert rows_named("Rows 59, 60: drafts") == {"59", "60"}
    assert rows_named("rows 64–75") == {str(n) for n in range(64, 76)}
    assert rows_named("Row 57b: x, and Row 30's budget") == {"57b", "30"}
    assert rows_named("Rows 67 and 74 through") == {"67", "74"}
