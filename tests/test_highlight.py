"""The faster lexing loop (highlight.py) must give exactly Pygments' tokens."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pygments
import pytest
from pygments.lexer import RegexLexer, default, include
from pygments.lexers import get_lexer_by_name
from pygments.token import Keyword, Name, String, Text

from mirror_site.highlight import fast_lexer

SNIPPETS = {
    "python": ['def f(x: int = 3) -> "str":\n    return f"{x!r:>{w}} \\N{DASH}" + r\'\\d+\' + b"\\x00"\n',
               "from . import (a as b,\n    c)\nmatch x:\n    case _ if y: pass\n", "'unterminated\n€ $ ? `\n",
               'x = """\nnever closed\n', "@decorator\nclass A(B, metaclass=M):\n    __slots__ = ()\n"],
    "bash": ["for i in $(seq 1 3); do echo \"${i}\" | tr a b; done\ncat <<EOF\nx $y\nEOF\n", "echo 'open\n"],
    "javascript": ["const re = /a[/]b/g; let s = `x${1 + {a: 2}.a}`; // c\n/* open\n"],
    "rust": ["fn main() { let r#x = b'a'; println!(\"{}\", r\"raw\"); } // x\n'a: loop {}\n"],
    "toml": ['[a.b]\nx = 1979-05-27T07:32:00Z\ny = """\nz"""\n[[c]]\n'],
    "julia": ["f(x::Int) = x .^ 2 # c\nmacro m(e) :($e) end\n\"\"\"doc\"\"\"\n"],
    "latex": ["\\begin{align} a &= \\frac{1}{2} % c\n\\end{align}\n$x$\n"],
    "sql": ["SELECT a, COUNT(*) FROM t WHERE b = 'x''y' GROUP BY a; -- c\n"],
    "html": ['<a href="x" onclick=\'y\'>t</a><!-- c --><script>var x = 1 < 2;</script><style>a{b:c}</style>\n'],
    "r": ["f <- function(x, ...) { x %in% c(1L, 2.5e3) } # c\n`odd name` <- 'x'\n"],
    "go": ["package main\nfunc main() { s := `raw\nstring`; _ = 'r' }\n"],
}


def _tokens(lexer: pygments.lexer.Lexer, text: str) -> list[tuple[object, str]]:
    return list(lexer.get_tokens(text))


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_snippets_give_pygments_tokens(language: str) -> None:
    fast = fast_lexer(get_lexer_by_name(language))
    assert "get_tokens_unprocessed" in vars(fast), "the lexer was not sped up"
    for text in SNIPPETS[language]:
        assert _tokens(fast, text) == _tokens(get_lexer_by_name(language), text)


def _python_sources() -> list[Path]:
    """Real Python, lots of it: the installed packages' own sources (Pygments', markdown-it's, …)."""
    roots = [Path(inspect.getfile(module)).parent for module in (pygments, json, pytest)]
    return sorted(path for root in roots for path in root.rglob("*.py"))[:400]


def test_python_sources_give_pygments_tokens() -> None:
    fast, plain = fast_lexer(get_lexer_by_name("python")), get_lexer_by_name("python")
    sources = _python_sources()
    assert len(sources) > 100
    for path in sources:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert _tokens(fast, text) == _tokens(plain, text), path


class _Toy(RegexLexer):
    """Rules written to catch a wrong order, lost flags, lost groups and a lost state."""

    flags = re.MULTILINE
    tokens = {
        "root": [
            include("words"),
            (r"(?i)select\b", Keyword),  # a rule with its own flag
            (r"(\w+)(=)", pygments.lexer.bygroups(Name, Text)),  # a callback reading the rule's groups
            (r"\w+", Name),
            (r"'", String, "string"),
            (r"\s+", Text),
        ],
        "words": [(r"if\b", Keyword), (r"i\w*", Name.Builtin)],  # `if` must win over `i\w*`
        "string": [(r"[^'\n]+", String), (r"'", String, "#pop"), default("#pop")],
    }


def test_order_flags_groups_states_and_errors_are_kept() -> None:
    text = "if iffy SELECT Select x=y 'open\n'closed' ! ?\n"
    fast = fast_lexer(_Toy())
    assert _tokens(fast, text) == _tokens(_Toy(), text)
    assert (Keyword, "if") in _tokens(fast, text) and (Name.Builtin, "iffy") in _tokens(fast, text)
    assert (Keyword, "Select") in _tokens(fast, text)


def test_a_state_with_a_back_reference_keeps_pygments_loop() -> None:
    class Quoting(_Toy):
        tokens = {"root": [(r"(['\"]).*?\1", String), (r"\s+", Text), (r"\w+", Name)]}

    text = "'a\" b' \"c\"\n"
    assert _tokens(fast_lexer(Quoting()), text) == _tokens(Quoting(), text)


def test_a_lexer_with_its_own_loop_is_left_alone() -> None:
    lexer = get_lexer_by_name("c")  # CLexer post-processes Pygments' loop in its own method
    assert fast_lexer(lexer) is lexer and "get_tokens_unprocessed" not in vars(lexer)


def test_conditional_groups_and_empty_states_keep_pygments_loop() -> None:
    """Evoque's rules hold `(?(4)%)`, a condition on a group number that moves in an alternation
    (the combined expression matched less, and `%}` came out twice); CMake has a state with no rules."""
    text = "${%a}%} $begin{%b}%} $if{%x}%}\n"
    assert _tokens(fast_lexer(get_lexer_by_name("evoque")), text) == _tokens(get_lexer_by_name("evoque"), text)
    fast = fast_lexer(get_lexer_by_name("cmake"))
    assert list(fast.get_tokens_unprocessed("x y\n", stack=("root", "string"))) == \
        list(get_lexer_by_name("cmake").get_tokens_unprocessed("x y\n", stack=("root", "string")))
