"""The plain text that paper.json, papers.jsonl and the feeds carry: words as a reader sees them."""

from __future__ import annotations

import subprocess
import sys

from mirror_site.plaintext import html_to_text


def test_plain_text_keeps_what_a_reader_reads() -> None:
    html = ('<h2 id="s">Intro</h2><p>A <em>word</em>\nand <a href="#x">link</a><sup class="footnote-ref">1</sup>'
            '<span class="sidenote" aria-hidden="true"><span>1</span> Duplicate.</span>.</p>'
            "<script>alert(1)</script><style>p{}</style>"
            '<p><math><semantics><mi>x</mi><annotation encoding="application/x-tex">x^2</annotation></semantics></math></p>'
            "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
            '<pre><code>def f():\n    return 1\n</code></pre><p>Note <a class="footnote-backref" href="#r">↩︎</a></p>')
    text = html_to_text(html)
    assert text.split("\n\n")[:2] == ["Intro", "A word and link1."]
    assert "Duplicate" not in text and "alert" not in text and "p{}" not in text and "↩" not in text
    assert "x^2" in text and "\nx\n" not in text
    assert "a b" in text and "1 2" in text
    assert "def f():\n    return 1" in text
    assert text.endswith("Note")


def test_escaped_markup_stays_text() -> None:
    assert html_to_text("<p>&lt;script&gt; &amp; more</p>") == "<script> & more"


def test_white_space_collapses_as_a_browser_shows_it() -> None:
    """Outside <pre> every run of white space, line breaks and spaces from character references
    included, is one space; blocks end lines; <pre> keeps its text exactly."""
    html = '<p>one\n  two</p><p> three <em>four</em>\tfive</p><pre>  keep\n   this</pre><ul><li>x</li></ul>'
    assert html_to_text(html) == "one two\n\nthree four five\n\n  keep\n   this\n\nx"
    assert html_to_text("<p>x &#10; y &nbsp; z<br>w</p>") == "x y z\nw"
    assert html_to_text("<table><tr><td> a </td><td>b</td></tr><tr><th>c</th></tr></table>") == "a b\n\nc"
    assert html_to_text("<p>a</p>\n<!-- a comment: not Mirror's regular HTML -->\n<p>b  c</p>") == "a\n\nb c"


def test_private_use_characters_are_text() -> None:
    """The markers for <pre> and line ends once were private-use characters, and a paper's own
    U+E000–U+E002 were taken for them."""
    assert html_to_text("<p>a\ue002b</p>") == "a\ue002b"
    assert html_to_text("<p>x\ue000y</p><pre>b</pre>") == "x\ue000y\n\nb"


def test_code_followed_by_other_markup_is_linear() -> None:
    """A <pre> holding a tag other than span/code once made the check for plain highlighted code
    backtrack exponentially (27 characters: 3 s; every one more doubled it). Run apart, with a
    limit hours below what the exponential check would take."""
    script = ("from mirror_site.plaintext import html_to_text\n"
              "print(html_to_text('<pre><code>' + 'q' * 60 + '<em>z</em></code></pre>'))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "q" * 60 + "z"
