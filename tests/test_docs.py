"""The documentation in docs/ is checked against the engine, so that it cannot drift silently:
every diagnostic code, configuration key and front-matter field is documented, and the complete
example paper of docs/format.md passes `mirror check --strict`."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT, PNG_3x2, run, write_journal

from mirror_site.build import EXIT_FAILED, EXIT_HELD_BACK, EXIT_OK, EXIT_USAGE
from mirror_site.config import Config, Limits
from mirror_site.fields import AUTHOR, PAPER_FIELDS, paper_record
from mirror_site.reviews import RECOMMENDATIONS, review_record
from mirror_site.schema import AnyOf, Choice, ListOf, Record, Type

ENGINE = PROJECT / "mirror_site"
DOCS = PROJECT / "docs"
CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: Codes built with an f-string, expanded by hand: each new one must be added here, on purpose.
FSTRING_CODES = {"duplicate-{what}": ("duplicate-slug", "duplicate-doi")}
#: The call shapes that emit a diagnostic, by the name of what is called.
EMITTERS = ("error", "warning", "warn", "report", "Refused", "_Refused")


# --- collecting codes from the engine source -------------------------------------------------

def _trees() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text(encoding="utf-8"), path.name) for path in sorted(ENGINE.glob("*.py"))}


def _parameters(node: ast.FunctionDef | ast.ClassDef) -> list[str]:
    """Positional parameter names of a function, a method (without `self`) or a class (its
    `__init__`, or its dataclass fields in order)."""
    if isinstance(node, ast.FunctionDef):
        names = [a.arg for a in node.args.posonlyargs + node.args.args]
        return names[1:] if names[:1] in (["self"], ["cls"]) else names
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is not None:
        return _parameters(init)
    return [n.target.id for n in node.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)]


def _signatures(trees: dict[str, ast.Module]) -> dict[tuple[str, str], set[tuple[int, int]]]:
    """(call form, name) → {(index of `code`, index of `level` or -1)} for every engine definition
    named like an emitter. Call form is `name` for module-level functions and classes (called as
    `error(…)`, `Refused(…)`), `attr` for methods (called as `checker.error(…)`, `state.report(…)`)."""
    found: dict[tuple[str, str], set[tuple[int, int]]] = {}

    def add(form: str, node: ast.FunctionDef | ast.ClassDef) -> None:
        params = _parameters(node)
        if node.name in EMITTERS and "code" in params:
            level = params.index("level") if "level" in params else -1
            found.setdefault((form, node.name), set()).add((params.index("code"), level))

    for tree in trees.values():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                add("name", node)
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        add("attr", item)
    return found


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    keyword = next((k.value for k in call.keywords if k.arg == name), None)
    if keyword is not None:
        return keyword
    return call.args[index] if 0 <= index < len(call.args) else None


def _values(node: ast.expr | None, where: str, branch: str = "") -> tuple[str, ...]:
    """The code(s) an argument stands for: a literal, either literal of `a if test else b` (only
    the `branch` one when the emitter itself was chosen by the same test), or an f-string listed in
    FSTRING_CODES. Anything else (a variable such as `refused.code`) forwards a code emitted elsewhere."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,) if CODE.fullmatch(node.value) else ()
    if isinstance(node, ast.IfExp):
        if branch:
            return _values(getattr(node, branch), where)
        return _values(node.body, where) + _values(node.orelse, where)
    if isinstance(node, ast.JoinedStr):
        pattern = "".join(p.value if isinstance(p, ast.Constant) else "{" + ast.unparse(p.value) + "}" for p in node.values)
        assert pattern in FSTRING_CODES, f"{where}: the code f-string {pattern!r} is not expanded in FSTRING_CODES"
        return FSTRING_CODES[pattern]
    return ()


def _aliases(tree: ast.Module) -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
    """Local names bound to an emitter chosen at run time, `make = warning if known else error`:
    name → (the test, ((branch, emitter), …))."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if (isinstance(value, ast.IfExp) and isinstance(value.body, ast.Name) and isinstance(value.orelse, ast.Name)
                    and {value.body.id, value.orelse.id} <= set(EMITTERS)):
                aliases[node.targets[0].id] = (ast.dump(value.test), (("body", value.body.id), ("orelse", value.orelse.id)))
    return aliases


def engine_codes() -> dict[str, set[str]]:
    """Every diagnostic code the engine can emit → the levels it is emitted at."""
    trees = _trees()
    signatures = _signatures(trees)
    codes: dict[str, set[str]] = {}
    for filename, tree in trees.items():
        aliases = _aliases(tree)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if isinstance(call.func, ast.Name) and call.func.id in aliases:
                test, branches = aliases[call.func.id]
                targets = [("name", name, branch, test) for branch, name in branches]
            elif isinstance(call.func, ast.Name):
                targets = [("name", call.func.id, "", "")]
            elif isinstance(call.func, ast.Attribute):
                targets = [("attr", call.func.attr, "", "")]
            else:
                continue
            for form, name, branch, test in targets:
                for code_index, level_index in signatures.get((form, name), ()):
                    where = f"mirror_site/{filename}:{call.lineno}"
                    argument = _argument(call, code_index, "code")
                    paired = branch if isinstance(argument, ast.IfExp) and ast.dump(argument.test) == test else ""
                    values = _values(argument, where, paired)
                    level_node = _argument(call, level_index, "level") if level_index >= 0 else None
                    if isinstance(level_node, ast.Constant):
                        level = str(level_node.value)
                    else:
                        level = "warning" if name in ("warning", "warn") else "error"
                    for value in values:
                        codes.setdefault(value, set()).add(level)
    return codes


def test_the_collector_sees_every_call_shape() -> None:
    """A guard on the collector itself: each call shape of the brief yields codes."""
    codes = engine_codes()
    for expected in ("encoding",  # error(...)
                     "missing-field",  # checker.error(...)
                     "date-free-text",  # checker.warn(...)
                     "raw-html",  # state.report(...)
                     "figure-missing",  # Refused(...)
                     "yaml-alias",  # _Refused(...)
                     "duplicate-slug", "duplicate-doi"):  # f"duplicate-{what}"
        assert expected in codes, expected
    assert codes["date-free-text"] == {"warning"} and codes["missing-field"] == {"error"}


def test_the_collector_follows_emitters_chosen_at_run_time() -> None:
    """`make = warning if known else error; make(…, "a" if known else "b", …)` pairs the branches."""
    tree = ast.parse('def error(path, line, col, code): ...\n'
                     'def warning(path, line, col, code): ...\n'
                     'def f(known):\n'
                     '    make = warning if known else error\n'
                     '    make(p, 1, 1, "held" if known else "unknown")\n')
    aliases = _aliases(tree)
    assert aliases["make"][1] == (("body", "warning"), ("orelse", "error"))
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "make")
    assert _values(call.args[3], "test", "body") == ("held",)
    assert _values(call.args[3], "test") == ("held", "unknown")


# --- docs/diagnostics.md ---------------------------------------------------------------------

def _sections(path: Path, level: int = 2) -> dict[str, str]:
    """Heading text → the text under it, up to the next heading of the same or a higher level."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^(`{3,}|~{3,}).*?^\1\s*$", "", text, flags=re.MULTILINE | re.DOTALL)  # headings in code are not headings
    parts = re.split(rf"^(#{{1,{level}}}) (.+)$", text, flags=re.MULTILINE)
    sections: dict[str, str] = {}
    for hashes, title, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
        if len(hashes) == level:
            assert title.strip() not in sections, f"{path.name}: the heading `{title}` appears twice"
            sections[title.strip()] = body
    return sections


def documented_codes() -> dict[str, str]:
    return {title: body for title, body in _sections(DOCS / "diagnostics.md").items() if CODE.fullmatch(title)}


def test_every_engine_code_is_documented() -> None:
    missing = sorted(set(engine_codes()) - set(documented_codes()))
    assert not missing, f"add a `## code` section to docs/diagnostics.md for: {', '.join(missing)}"


def test_every_documented_code_exists() -> None:
    stale = sorted(set(documented_codes()) - set(engine_codes()))
    assert not stale, f"docs/diagnostics.md documents codes the engine never emits: {', '.join(stale)}"


def test_documented_levels_match_the_engine() -> None:
    codes = engine_codes()
    for code, body in documented_codes().items():
        match = re.search(r"^\*\*Level:\*\* (.+)$", body, re.MULTILINE)
        assert match, f"## {code}: no `**Level:** error|warning` line"
        assert set(re.findall(r"\b(error|warning)\b", match[1])) == codes.get(code, set()), f"## {code}: wrong level"


def test_every_code_section_has_an_example_and_a_fix() -> None:
    text = (DOCS / "diagnostics.md").read_text(encoding="utf-8")
    for code, body in documented_codes().items():
        assert "**Example:**" in body, f"## {code}: no **Example:**"
        assert "**Fix:**" in body, f"## {code}: no **Fix:**"
    for code in documented_codes():
        assert f"[{code}](#{code})" in text, f"the index of codes does not link to ## {code}"


def test_exit_codes_are_documented() -> None:
    text = (DOCS / "diagnostics.md").read_text(encoding="utf-8")
    for code in (EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_HELD_BACK):
        assert re.search(rf"^\| {code} \|", text, re.MULTILINE), f"exit code {code} has no row in docs/diagnostics.md"


# --- docs/format.md: the complete example --------------------------------------------------

def _fenced_after(text: str, heading: str, info: str) -> str:
    """The first fenced block with info string `info` after the heading `heading`."""
    start = re.search(rf"^#+ {re.escape(heading)}\s*$", text, re.MULTILINE)
    assert start, f"docs/format.md has no heading `{heading}`"
    block = re.compile(rf"^(`{{3,}}){re.escape(info)}\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL).search(text, start.end())
    assert block, f"no ```{info} block after `{heading}` in docs/format.md"
    return block[2]


def complete_example() -> tuple[str, str, str]:
    """(slug, paper.md, references.bib or '') of the complete example of docs/format.md."""
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    paper = _fenced_after(text, "Complete example", "markdown")
    section = text[text.index("Complete example"):]
    slug = re.search(r"papers/([a-z0-9-]+)/paper\.md", section)
    assert slug, "the complete example does not say which folder it belongs in (papers/<slug>/paper.md)"
    bib = _fenced_after(text, "Complete example", "bibtex") if "```bibtex" in section else ""
    return slug[1], paper, bib


def _front(paper: str) -> dict[str, object]:
    match = re.match(r"---\n(.*?)\n---\n", paper, re.DOTALL)
    assert match, "the complete example must start with front matter between --- lines"
    front = yaml.safe_load(match[1])
    assert isinstance(front, dict)
    return front


def test_complete_example_passes_strict_check(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # the build date is today: the example must be due
    slug, paper, bib = complete_example()
    front = _front(paper)
    folder = f"papers/{slug}/"
    files: dict[str, str | bytes] = {folder + "paper.md": paper}
    # The files the example names: its figures, supplements and bibliography.
    for src in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", paper):
        files[folder + src] = PNG_3x2 if src.endswith(".png") else '<svg xmlns="http://www.w3.org/2000/svg"/>'
    for supplement in front.get("supplements", []):  # type: ignore[attr-defined]
        files[folder + supplement["path"]] = "# supplement\n"
    if bib:
        files[folder + str(front.get("bibliography", "references.bib"))] = bib
    write_journal(journal, files)
    result = run(journal, strict=True, write=False)
    problems = [d.format() for d in result.diagnostics]
    assert not problems, "the complete example of docs/format.md is not clean:\n" + "\n".join(problems)
    assert result.exit_code == EXIT_OK, result.failure
    assert result.published == (slug,), "the example was not rendered (a draft, or dated in the future?)"


def test_complete_example_uses_every_research_field() -> None:
    _, paper, _ = complete_example()
    front = _front(paper)
    research = ("title", "authors", "date", "abstract", "license", "keywords", "subject_models", "methods", "finding",
                "relations", "ai_involvement", "reproducibility", "claims")
    missing = [name for name in research if name not in front]
    assert not missing, f"the complete example lacks {missing}"
    assert {a["kind"] for a in front["authors"]} == {"ai", "human"}, "show an AI and a human author"  # type: ignore[index]


# --- docs/configuration.md ------------------------------------------------------------------

def test_every_configuration_key_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    rows = {m[1]: m[0] for m in re.finditer(r"^\| `([a-z_]+)` \|.*$", text, re.MULTILINE)}
    for cls in (Config, Limits):
        for spec in dataclasses.fields(cls):
            assert f"`{spec.name}`" in text, f"`{spec.name}` ({cls.__name__}) is not in docs/configuration.md"
            assert spec.name in rows, f"`{spec.name}` has no table row `| `{spec.name}` | …` in docs/configuration.md"
            default = getattr(cls(), spec.name)
            if isinstance(default, int | str) and not isinstance(default, bool):
                shown = rows[spec.name].replace("_", "") if isinstance(default, int) else rows[spec.name]
                literal = str(default) if isinstance(default, int) else f'"{default}"'
                assert literal in shown, f"the row of `{spec.name}` does not show its default {literal}"
    documented = set(rows)
    known = {f.name for cls in (Config, Limits) for f in dataclasses.fields(cls)}
    assert documented <= known, f"docs/configuration.md documents unknown keys: {sorted(documented - known)}"


# --- docs/format.md: every field ----------------------------------------------------------

def _walk(kind: Type, path: str) -> list[tuple[str, Type]]:
    """(dotted name, type) of every field under `kind`, nested records included."""
    if isinstance(kind, ListOf):
        return _walk(kind.item, path)
    if isinstance(kind, AnyOf):
        return [item for option in kind.options for item in _walk(option, path)]
    found: list[tuple[str, Type]] = [(path, kind)] if path else []
    if isinstance(kind, Record):
        for name, spec in kind.fields.items():
            found += _walk(spec.type, f"{path}.{name}" if path else name)
    return found


def test_every_front_matter_field_is_documented() -> None:
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    missing = [name for name in list(PAPER_FIELDS) + list(AUTHOR.fields) if f"`{name}`" not in text]
    assert not missing, f"docs/format.md does not mention {missing} as `name`"


def test_every_nested_field_alias_and_allowed_value_is_documented() -> None:
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    record = paper_record(())
    missing = []
    for dotted, kind in _walk(record, ""):
        if f"`{dotted.rsplit('.', 1)[-1]}`" not in text:
            missing.append(dotted)
        if isinstance(kind, Choice):
            missing += [f"{dotted} = {value}" for value in kind.values if f"`{value}`" not in text and value not in text]
    for alias in list(record.aliases) + list(AUTHOR.aliases):
        if f"`{alias}`" not in text:
            missing.append(f"alias {alias}")
    for method in Config().methods:
        if f"`{method}`" not in text:
            missing.append(f"method {method}")
    assert not missing, f"docs/format.md does not mention: {missing}"


def test_every_review_field_and_recommendation_is_documented() -> None:
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    reviews = text[text.index("## Reviews"):]
    missing = [dotted for dotted, _ in _walk(review_record(Config()), "") if f"`{dotted.rsplit('.', 1)[-1]}`" not in reviews]
    missing += [value for value in RECOMMENDATIONS if f"`{value}`" not in reviews]
    missing += [criterion for criterion in Config().review_criteria if f"`{criterion}`" not in reviews]
    assert not missing, f"the Reviews section of docs/format.md does not mention: {missing}"


# --- links between the documents ----------------------------------------------------------

def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_docs_resolve() -> None:
    """`[x](diagnostics.md#code)` and `[x](#section)` point at headings that exist."""
    anchors = {}
    for path in DOCS.glob("*.md"):
        text = re.sub(r"^(`{3,}|~{3,}).*?^\1\s*$", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
        anchors[path.name] = {_anchor(m[1]) for m in re.finditer(r"^#{1,6} (.+)$", text, re.MULTILINE)}
    broken = []
    for path in DOCS.glob("*.md"):
        for target, anchor in re.findall(r"\]\(([a-z]*\.md)?#([^)\s]+)\)", path.read_text(encoding="utf-8")):
            if anchor not in anchors.get(target or path.name, set()):
                broken.append(f"{path.name}: {target}#{anchor}")
    assert not broken, f"links to missing headings: {broken}"
