"""Code highlighting: Pygments' lexers, driven faster.

A Pygments `RegexLexer` tries the rules of its current state one after the other at every
position of the text: for Python that is dozens of failed `re.match` calls per token, and it made
lexing a third of a paper's render. `fast_lexer` gives a lexer one regular expression per state,
the alternation of its rules in their order, each in a capturing group: Python's `re` tries the
alternatives of an alternation in order and keeps the first that matches, which is exactly the
rule Pygments would have picked, so the tokens are the same (tests/test_highlight.py compares them
over hundreds of files). The loop below is `RegexLexer.get_tokens_unprocessed` of Pygments 2.x
with that one change. A state whose rules cannot share one expression (a back-reference or a
conditional group, a group name used twice, a flag that cannot be scoped, no rules at all) keeps
Pygments' own loop, and so does a lexer that has its own `get_tokens_unprocessed`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pygments.lexer import Lexer, RegexLexer
from pygments.token import Error, Whitespace, _TokenType

#: A back-reference or a conditional group names a group by its number or name inside one rule:
#: in the alternation the numbers move, so a state with one keeps the rule-by-rule loop.
_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")
#: Flags a rule sets for itself, `(?i)…`: they are in its compiled flags (see `_scoped`).
_LEADING_FLAGS = re.compile(r"\(\?[imsx]+\)")
_LETTERS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.VERBOSE: "x"}

Rule = tuple[Callable[..., Any], Any, Any]  # (the rule's bound `match`, action, new state)
Combined = tuple[Callable[..., Any], dict[int, int]]  # (the state's bound `match`, group → rule)
Found = tuple[Rule, re.Match[str], bool]  # (rule, match, whether the match is the state's, not the rule's)
Finder = Callable[[str, int], Found | None]


def _scoped(compiled: re.Pattern[str], flags: int) -> str | None:
    """The rule's pattern for an alternation compiled with `flags`: the flags it differs by scoped
    to it, `(?i-m:…)`; None when it differs by a flag that cannot be scoped."""
    leading = _LEADING_FLAGS.match(compiled.pattern)
    pattern = compiled.pattern[leading.end():] if leading else compiled.pattern
    differ = compiled.flags ^ flags
    if differ & ~sum(_LETTERS):
        return None
    if not differ:
        return pattern
    add = "".join(letter for flag, letter in _LETTERS.items() if differ & flag and compiled.flags & flag)
    remove = "".join(letter for flag, letter in _LETTERS.items() if differ & flag and flags & flag)
    return f"(?{add}{'-' + remove if remove else ''}:{pattern})"


def _combine(rules: list[Rule], flags: int) -> Combined | None:
    """One expression for a state's rules, and which rule each of its top groups stands for."""
    if not rules:
        return None
    patterns, owners, index = [], {}, 1
    for number, (match, _, _) in enumerate(rules):
        compiled: re.Pattern[str] = match.__self__  # type: ignore[attr-defined]  # a bound `Pattern.match`
        pattern = _scoped(compiled, flags)
        if pattern is None or _GROUP_REFERENCE.search(pattern):
            return None
        patterns.append(f"({pattern})")
        owners[index] = number
        index += 1 + compiled.groups
    try:
        return re.compile("|".join(patterns), flags).match, owners
    except (re.error, RecursionError, OverflowError):
        return None


def _finder(rules: list[Rule], flags: int) -> Finder:
    """For a state: the rule that matches at a position, and its match (the state's or the rule's own)."""
    combined = _combine(rules, flags)
    if combined is None:
        def one_by_one(text: str, pos: int) -> Found | None:
            for rule in rules:
                m = rule[0](text, pos)
                if m:
                    return rule, m, False
            return None
        return one_by_one
    match, owners = combined

    def at_once(text: str, pos: int) -> Found | None:
        m = match(text, pos)
        return (rules[owners[m.lastindex]], m, True) if m else None  # a rule's group spans the whole match
    return at_once


def fast_lexer(lexer: Lexer) -> Lexer:
    """`lexer`, lexing with one expression per state when it is a plain `RegexLexer`."""
    if not isinstance(lexer, RegexLexer) or type(lexer).get_tokens_unprocessed is not RegexLexer.get_tokens_unprocessed:
        return lexer
    flags = re.compile("", type(lexer).flags).flags
    finders = {state: _finder(rules, flags) for state, rules in lexer._tokens.items()}  # type: ignore[attr-defined]

    def tokens(text: str, stack: Iterable[str] = ("root",)) -> Iterator[tuple[int, Any, str]]:
        pos = 0
        statestack = list(stack)
        find = finders[statestack[-1]]
        while True:
            found = find(text, pos)
            if found is not None:
                (rexmatch, action, new_state), m, shared = found
                if action is not None:
                    if type(action) is _TokenType:
                        yield pos, action, m.group()
                    else:  # a callback reads the rule's own groups: the rule's match alone (same span)
                        yield from action(lexer, rexmatch(text, pos) if shared else m)
                pos = m.end()
                if new_state is not None:
                    if isinstance(new_state, tuple):
                        for state in new_state:
                            if state == "#pop":
                                if len(statestack) > 1:
                                    statestack.pop()
                            elif state == "#push":
                                statestack.append(statestack[-1])
                            else:
                                statestack.append(state)
                    elif isinstance(new_state, int):
                        if abs(new_state) >= len(statestack):
                            del statestack[1:]
                        else:
                            del statestack[new_state:]
                    elif new_state == "#push":
                        statestack.append(statestack[-1])
                    else:
                        raise AssertionError(f"wrong state def: {new_state!r}")
                    find = finders[statestack[-1]]
                continue
            if pos >= len(text):
                break
            if text[pos] == "\n":  # at the end of a line, back to the root state
                statestack = ["root"]
                find = finders["root"]
                yield pos, Whitespace, "\n"
            else:
                yield pos, Error, text[pos]
            pos += 1

    lexer.get_tokens_unprocessed = tokens  # type: ignore[method-assign]
    return lexer
