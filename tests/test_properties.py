"""Property tests for the parts that take arbitrary input: the splitter, slugs, path containment."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirror_site import front_matter
from mirror_site.diagnostics import Diagnostic
from mirror_site.figures import Refused, contained_path
from mirror_site.load import decode
from mirror_site.markdown import slugify
from mirror_site.validate import slug_problem

yaml_line = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=40)


@given(st.lists(yaml_line.filter(lambda s: s.rstrip() not in ("---", "...")), max_size=10),
       st.text(max_size=200))
def test_split_keeps_front_matter_and_body_and_their_lines(front: list[str], body: str) -> None:
    body = body.replace("\r", "")
    text = "---\n" + "".join(line + "\n" for line in front) + "---\n" + body
    result = front_matter.split(text, "p.md")
    assert isinstance(result, front_matter.Split)
    assert result.front == "\n".join(front)
    assert result.body == body
    assert result.front_line == 2
    assert result.body_line == len(front) + 3
    # The body's first line is the file's line `body_line`.
    assert text.split("\n")[result.body_line - 1:] == body.split("\n")


@given(st.text(max_size=300))
def test_split_never_raises_and_always_names_a_line(text: str) -> None:
    result = front_matter.split(text.replace("\r", ""), "p.md")
    if isinstance(result, Diagnostic):
        assert result.line >= 1 and result.code.startswith("front-matter")


@given(st.binary(max_size=300))
def test_decode_either_text_or_a_located_diagnostic(raw: bytes) -> None:
    result = decode(raw, "p.md")
    if isinstance(result, Diagnostic):
        assert 1 <= result.line <= raw.count(b"\n") + 1 and result.col >= 1
    else:
        assert "\r" not in result


@given(st.text(max_size=400))
@settings(max_examples=300)
def test_yaml_parser_never_raises(text: str) -> None:
    split = front_matter.Split(text, 2, "", 3)
    result = front_matter.parse(split, "p.md", 65536)
    assert isinstance(result, (front_matter.FrontMatter, Diagnostic))


@given(st.text(max_size=100))
def test_slugify_gives_valid_slugs(text: str) -> None:
    slug = slugify(text)
    assert slug and slug == slug.lower() and all(c.isalnum() or c == "-" for c in slug)


@given(st.text(max_size=90))
def test_slug_rule(text: str) -> None:
    ok = slug_problem(text) == ""
    if ok:
        assert text.isascii() and text == text.lower() and "--" not in text and not text.startswith("-")
        assert not text.startswith(".") and "/" not in text and len(text) <= 80


PATH_PARTS = st.sampled_from(["figures", "..", ".", "a.png", "x", "%2e%2e", "/", "\\", "C:", "~", "sub", ".hidden",
                              "paper-evil", "link"])


@given(st.lists(PATH_PARTS, min_size=1, max_size=6))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
def test_contained_paths_never_leave_the_folder(tmp_path: Path, parts: list[str]) -> None:
    folder = tmp_path / "papers" / "paper"
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    (tmp_path / "papers" / "paper-evil").mkdir(exist_ok=True)
    if not (folder / "link").is_symlink():
        os.symlink(tmp_path / "papers" / "paper-evil", folder / "link")
    result = contained_path(folder, "/".join(parts))
    if not isinstance(result, Refused):
        resolved = (folder / result).resolve()
        assert resolved.is_relative_to(folder.resolve())
