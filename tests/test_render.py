"""Rendering one paper: untrusted Markdown in, safe and faithful HTML out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import GOOD_FRONT, PNG_3x2, paper_text, write_journal

from mirror_site.config import Config
from mirror_site.load import load_paper
from mirror_site.model import RenderedBody
from mirror_site.render import RenderOptions, render_body
from mirror_site.validate import validate_paper


def render(tmp_path: Path, body: str, files: dict[str, str | bytes] | None = None) -> RenderedBody:
    root = write_journal(tmp_path / "j", {"papers/p/paper.md": paper_text(body=body), **(files or {})})
    source = load_paper(root / "papers/p", root, Config())
    assert not isinstance(source, type(None))
    paper, problems = validate_paper(source, Config())  # type: ignore[arg-type]
    assert paper is not None, problems
    return render_body(paper, RenderOptions())


def codes(body: RenderedBody) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in body.diagnostics]


def test_sections_start_at_h2_with_stable_prefixed_ids(tmp_path: Path) -> None:
    body = render(tmp_path, "# Search\n\n## `__proto__`\n\n# Search\n\n# Method {#sec:method}\n")
    assert '<h2 id="sec-search"><span class="secno">1</span> Search</h2>' in body.html
    assert '<h3 id="sec-proto"><span class="secno">1.1</span> <code>__proto__</code></h3>' in body.html
    assert '<h2 id="sec-search-2"><span class="secno">2</span> Search</h2>' in body.html
    assert '<h2 id="sec:method"><span class="secno">3</span> Method</h2>' in body.html
    assert [h.id for h in body.headings] == ["sec-search", "sec-proto", "sec-search-2", "sec:method"]


@pytest.mark.parametrize("markdown", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "text <iframe src=//evil></iframe> more",
    '<a href="javascript:alert(1)">x</a>',
])
def test_raw_html_is_escaped_and_reported(tmp_path: Path, markdown: str) -> None:
    """Row 24."""
    body = render(tmp_path, markdown + "\n")
    assert "<script" not in body.html and "<iframe" not in body.html and "<img" not in body.html
    assert not re.search(r"<[^>]*\son\w+=", body.html)
    assert ("raw-html", 10) in codes(body)


def test_html_comments_are_dropped_silently(tmp_path: Path) -> None:
    body = render(tmp_path, "Before\n\n<!-- a note to self -->\n\nAfter <!-- inline -->\n")
    assert "note to self" not in body.html and "inline" not in body.html and body.diagnostics == ()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "&#106;avascript:alert(1)",
                                 "vbscript:msgbox", "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd",
                                 "java%0Ascript:alert(1)"])
def test_dangerous_links_become_text(tmp_path: Path, url: str) -> None:
    """Row 25."""
    body = render(tmp_path, f"[click]({url})\n")
    assert "href" not in body.html and "click" in body.html
    assert codes(body) == [("link-scheme", 10)]


def test_safe_links_are_kept(tmp_path: Path) -> None:
    body = render(tmp_path, "[a](https://example.org/?q=1&r=2) [b](#sec-x) [c](mailto:x@example.org)\n")
    assert 'href="https://example.org/?q=1&amp;r=2"' in body.html and 'href="#sec-x"' in body.html
    assert body.diagnostics == ()


def test_code_is_highlighted_and_unknown_languages_fall_back(tmp_path: Path) -> None:
    """Row 32."""
    body = render(tmp_path, "```python\ndef f(): pass\n```\n\n```notalang\n<b>x</b>\n```\n")
    assert '<span class="k">def</span>' in body.html
    assert "<pre class=\"code\"><code>&lt;b&gt;x&lt;/b&gt;" in body.html
    assert codes(body) == [("code-language", 14)]


def test_footnotes_both_kinds_and_tables(tmp_path: Path) -> None:
    body = render(tmp_path, "Claim[^a] and inline^[note *here*].\n\n[^a]: Defined.\n\n| x | y |\n|---|--:|\n| 1 | 2 |\n")
    assert body.html.count('class="footnote-ref"') == 2 and "<em>here</em>" in body.html
    assert '<td style="text-align:right">2</td>' in body.html


def test_lone_image_is_a_numbered_figure_with_size(tmp_path: Path) -> None:
    body = render(tmp_path, "![A *plot*.](figures/a.png){#fig:a width=50%}\n\nInline ![b](figures/a.png) image.\n",
                  {"papers/p/figures/a.png": PNG_3x2})
    assert '<figure id="fig:a"><img src="figures/a.png" alt="A plot." width="3" height="2" style="width: 50%"' in body.html
    assert "Figure 1.</span> A <em>plot</em>." in body.html
    assert body.html.count("<figure") == 1 and body.html.count("<img") == 2
    assert [f.relpath for f in body.figures] == ["figures/a.png"]


@pytest.mark.parametrize("src,code", [
    ("../other/fig.png", "figure-path"), ("/etc/passwd", "figure-path"), ("file:///etc/passwd", "figure-url"),
    ("C:\\x.png", "figure-path"), ("\\\\host\\share\\x.png", "figure-path"), ("figures/missing.png", "figure-missing"),
    ("https://example.org/x.png", "figure-url"), ("figures/fake.png", "figure-content"),
])
def test_bad_figures_are_errors_on_their_line(tmp_path: Path, src: str, code: str) -> None:
    body = render(tmp_path, f"Text.\n\n![x](<{src}>)\n", {"papers/p/figures/fake.png": "<html>not a png</html>"})
    assert codes(body) == [(code, 12)]
    assert body.figures == ()


def test_svg_with_script_is_refused(tmp_path: Path) -> None:
    """Row 41."""
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    body = render(tmp_path, "![x](figures/s.svg)\n", {"papers/p/figures/s.svg": svg})
    assert codes(body) == [("figure-svg", 10)]


def test_abstract_is_rendered_inline_and_escaped(tmp_path: Path) -> None:
    root = write_journal(tmp_path / "j", {"papers/p/paper.md": paper_text().replace(
        'abstract: "We probe something and find it."', 'abstract: "We *probe* <b>x</b> & [l](javascript:x)."')})
    source = load_paper(root / "papers/p", root, Config())
    paper, _ = validate_paper(source, Config())  # type: ignore[arg-type]
    assert paper is not None
    body = render_body(paper, RenderOptions())
    assert body.abstract_html.startswith("We <em>probe</em>") and "<b>" not in body.abstract_html
    assert "href" not in body.abstract_html


def test_bibtex_duplicate_keys_and_malformed_entries_name_their_bib_line(tmp_path: Path) -> None:
    bib = ("@article{a, title = {A}, author = {X, Y}, year = 2020}\n"
           "@article{a, title = {Again}, author = {X, Y}, year = 2021}\n"
           "\n"
           "@article{broken, title = {No closing brace}\n")
    body = render(tmp_path, "# S\n\nAs [@a] found.\n", {"papers/p/references.bib": bib})
    found = {(d.code, d.path, d.line) for d in body.diagnostics}
    assert ("bib-duplicate-key", "papers/p/references.bib", 2) in found
    assert any(code == "bib-syntax" and path == "papers/p/references.bib" and line == 4 for code, path, line in found), found


def test_orcid_with_a_wrong_check_digit_is_an_error_on_its_line(tmp_path: Path) -> None:
    front = GOOD_FRONT.replace('    model: "agent-model-1"\n', '    model: "agent-model-1"\n    orcid: "0000-0002-1825-0098"\n')
    root = write_journal(tmp_path / "j", {"papers/p/paper.md": paper_text(front)})
    source = load_paper(root / "papers/p", root, Config())
    paper, problems = validate_paper(source, Config())  # type: ignore[arg-type]
    assert [(d.line, d.level) for d in problems if "orcid" in (d.code + d.message).lower()] == [(7, "error")]  # line 1 is `---`
    good = GOOD_FRONT.replace('    model: "agent-model-1"\n', '    model: "agent-model-1"\n    orcid: "0000-0002-1825-0097"\n')
    write_journal(root, {"papers/p/paper.md": paper_text(good)})
    assert validate_paper(load_paper(root / "papers/p", root, Config()), Config())[1] == []  # type: ignore[arg-type]


def test_math_in_the_abstract_and_a_figure_caption_is_mathml(tmp_path: Path) -> None:
    front = GOOD_FRONT.replace('abstract: "We probe something and find it."', 'abstract: "The loss falls as $x^2$."')
    root = write_journal(tmp_path / "j", {"papers/p/paper.md": paper_text(front, "# S\n\n![Accuracy against $\\alpha$](f.png)\n"),
                                          "papers/p/f.png": PNG_3x2})
    paper, problems = validate_paper(load_paper(root / "papers/p", root, Config()), Config())  # type: ignore[arg-type]
    assert paper is not None, problems
    body = render_body(paper, RenderOptions())
    assert "<math" in body.abstract_html and '<annotation encoding="application/x-tex">x^2</annotation>' in body.abstract_html
    caption = body.html[body.html.index("<figcaption"):body.html.index("</figcaption>")]
    assert "<math" in caption and "<mi>α</mi>" in caption, caption


def test_a_named_bibliography_file_is_used(tmp_path: Path) -> None:
    front = GOOD_FRONT + 'bibliography: "refs/cited.bib"\n'
    bib = "@article{smith2020, title = {A Title}, author = {Smith, Jane}, journal = {J}, year = 2020}\n"
    root = write_journal(tmp_path / "j", {"papers/p/paper.md": paper_text(front, "# S\n\nAs [@smith2020] found.\n"),
                                          "papers/p/refs/cited.bib": bib,
                                          "papers/p/references.bib": "@misc{other, title = {Unused}}\n"})
    paper, problems = validate_paper(load_paper(root / "papers/p", root, Config()), Config())  # type: ignore[arg-type]
    assert paper is not None, problems
    body = render_body(paper, RenderOptions())
    assert body.diagnostics == () and len(body.references) == 1 and "A Title" in body.references[0][1]
