"""Declarative field types for front matter: one description serves validation and JSON Schema.

Each type checks a parsed YAML value at a key path, reports problems through a `Checker`, and
returns the normalised value (or `INVALID`). `json_schema()` gives the same rule as JSON Schema.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Diagnostic, error, warning
from .front_matter import Key, Positions

INVALID: Any = object()
#: Marks a `Choice` whose values come from the site configuration (see `resolve_vocabularies`).
VOCABULARY_KEY = "x-mirror-vocabulary"

# Keys of pandoc, R Markdown, Quarto and Jupyter that say nothing about the paper itself.
OTHER_TOOLS_KEYS = frozenset({"output", "csl", "format", "jupyter", "header-includes", "documentclass",
                              "geometry", "link-citations", "execute", "editor", "engine", "knitr", "fontsize"})

# Characters that can disguise text (bidirectional overrides, zero-width marks): CVE-2021-42574.
DISGUISING = set("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff")


@dataclass
class Checker:
    """Collects diagnostics for one file, turning key paths into line:col."""

    path: str
    positions: Positions
    vocabularies: dict[str, tuple[str, ...]]
    problems: list[Diagnostic] = field(default_factory=list)

    def where(self, key: Key, of_key: bool = False) -> tuple[int, int]:
        return self.positions.of(key, key=of_key)

    def error(self, key: Key, code: str, message: str, hint: str = "", of_key: bool = False) -> Any:
        line, col = self.where(key, of_key)
        self.problems.append(error(self.path, line, col, code, message, hint))
        return INVALID

    def warn(self, key: Key, code: str, message: str, hint: str = "") -> None:
        line, col = self.where(key)
        self.problems.append(warning(self.path, line, col, code, message, hint))


def dotted(key: Key) -> str:
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "front matter"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {bool: "true/false", int: "a whole number", float: "a decimal number", str: "text", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


def _type_error(checker: Checker, key: Key, value: Any, expected: str) -> Any:
    hint = f"write {expected} here"
    wants_text = not expected.startswith(("a whole number", "a number", "true or false", "a list", "a mapping"))
    if isinstance(value, (bool, int, float)) and wants_text:
        hint = "YAML read this as " + _kind(value) + f" (`{value}`); put the value in quotes"
    return checker.error(key, "type", f"`{dotted(key)}` must be {expected}, not {_kind(value)}", hint)


class Type:
    description = ""

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class Text(Type):
    max_length: int = 1000
    one_line: bool = True
    pattern: str = ""
    pattern_hint: str = ""

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if not isinstance(value, str):
            return _type_error(checker, key, value, "text")
        value = unicodedata.normalize("NFC", value)
        if self.one_line and value.endswith("\n") and value.count("\n") == 1:
            value = value[:-1]  # `title: |` block scalars end with one newline
        for char in value:
            bad = char in DISGUISING or (unicodedata.category(char) == "Cc" and (self.one_line or char not in "\n\t"))
            if bad:
                name = unicodedata.name(char, f"U+{ord(char):04X}")
                if char == "\n":
                    return checker.error(key, "text-newline", f"`{dotted(key)}` must be one line",
                                         "join the lines, or use `>-` for a folded YAML scalar")
                return checker.error(key, "text-character",
                                     f"`{dotted(key)}` contains the invisible or control character "
                                     f"U+{ord(char):04X} ({name})", "remove it: it can disguise text")
        if not value.strip():
            return checker.error(key, "text-empty", f"`{dotted(key)}` is empty", "write a value")
        if len(value) > self.max_length:
            return checker.error(key, "text-too-long",
                                 f"`{dotted(key)}` has {len(value)} characters, over the limit of {self.max_length}",
                                 "shorten it")
        if self.pattern and not re.fullmatch(self.pattern, value):
            return checker.error(key, "format", f"`{dotted(key)}` is not valid: `{value}`", self.pattern_hint)
        return value.strip()

    def json_schema(self) -> dict[str, Any]:
        # The same rules as `check`, as patterns: not blank, no control or disguising characters, one
        # line (a single trailing newline, as `title: |` leaves, is allowed), then the field's own pattern.
        hidden = "".join(f"\\u{ord(c):04x}" for c in sorted(DISGUISING))
        controls = "\\x00-\\x1f" if self.one_line else "\\x00-\\x08\\x0b-\\x1f"
        lines = f"^[^{controls}\\x7f-\\x9f{hidden}]*\\n?$" if self.one_line else f"^[^{controls}\\x7f-\\x9f{hidden}]*$"
        rules = [{"pattern": "\\S"}, {"pattern": lines}]
        if self.pattern:
            rules.append({"pattern": f"^(?:{self.pattern})$"})
        return {"type": "string", "minLength": 1, "maxLength": self.max_length, "allOf": rules}


_MONTHS = "january february march april may june july august september october november december".split()


def _free_date(text: str) -> datetime.date | None:
    """Dates as JOSS papers write them: `23 December 2022`, `December 23, 2022`."""
    words = re.findall(r"[A-Za-z]+|\d+", text)
    if len(words) != 3:
        return None
    months = [w for w in words if w.isalpha()]
    numbers = [int(w) for w in words if w.isdigit()]
    if len(months) != 1 or len(numbers) != 2:
        return None
    month = next((i + 1 for i, m in enumerate(_MONTHS) if m.startswith(months[0].lower()) and len(months[0]) >= 3), 0)
    day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


class Date(Type):
    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if not isinstance(value, str):
            return _type_error(checker, key, value, "a date YYYY-MM-DD")
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return datetime.date.fromisoformat(text).isoformat()
            except ValueError:
                return checker.error(key, "date", f"`{dotted(key)}` is not a real date: `{text}`",
                                     "use an existing calendar date, YYYY-MM-DD")
        parsed = _free_date(text)
        if parsed is None:
            return checker.error(key, "date", f"`{dotted(key)}` is not a date: `{text}`", "write YYYY-MM-DD")
        checker.warn(key, "date-free-text", f"`{dotted(key)}` is free text (`{text}`), read as {parsed.isoformat()}",
                     f"write {parsed.isoformat()}")
        return parsed.isoformat()

    def json_schema(self) -> dict[str, Any]:
        # Free-text dates (`23 December 2022`) are accepted by `check` with a warning, and calendar
        # validity needs a calendar: the schema asks for the form Mirror writes, YYYY-MM-DD.
        return {"type": "string", "format": "date", "pattern": r"^\s*\d{4}-\d{2}-\d{2}\s*$"}


@dataclass
class Integer(Type):
    minimum: int = 0
    maximum: int = 10**9

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return _type_error(checker, key, value, "a whole number")
        if not self.minimum <= value <= self.maximum:
            return checker.error(key, "range", f"`{dotted(key)}` must be between {self.minimum} and {self.maximum}",
                                 "")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass
class Number(Type):
    minimum: float = 0.0

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _type_error(checker, key, value, "a number")
        if not math.isfinite(value) or value < self.minimum:
            return checker.error(key, "range", f"`{dotted(key)}` must be a finite number >= {self.minimum}", "")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "number", "minimum": self.minimum}


class Boolean(Type):
    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if not isinstance(value, bool):
            return _type_error(checker, key, value, "true or false")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass
class Choice(Type):
    values: tuple[str, ...] = ()
    vocabulary: str = ""  #: name of a vocabulary from the site configuration, instead of `values`

    def allowed(self, checker: Checker | None) -> tuple[str, ...]:
        if self.vocabulary and checker is not None:
            return checker.vocabularies[self.vocabulary]
        return self.values

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        allowed = self.allowed(checker)
        if not isinstance(value, str):
            return _type_error(checker, key, value, "one of: " + ", ".join(allowed))
        if value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
            hint = f"did you mean `{close[0]}`? " if close else ""
            return checker.error(key, "choice", f"`{dotted(key)}` has an unknown value `{value}`",
                                 hint + "allowed: " + ", ".join(allowed))
        return value

    def json_schema(self) -> dict[str, Any]:
        if self.vocabulary:  # the values live in mirror.toml: `resolve_vocabularies` fills them in
            return {"type": "string", VOCABULARY_KEY: self.vocabulary}
        return {"type": "string", "enum": list(self.values)}


SCHEMES = ("http://", "https://")


class Url(Type):
    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if not isinstance(value, str):
            return _type_error(checker, key, value, "a URL")
        text = value.strip()
        if not text.lower().startswith(SCHEMES) or not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", text, re.I):
            return checker.error(key, "url", f"`{dotted(key)}` must be an http or https URL, not `{text[:80]}`",
                                 "write a full URL starting with https://")
        return text

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^\s*[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+[^\s]*\s*$"}


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2, as ORCID defines it."""
    digits = orcid.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


class Orcid(Type):
    PATTERN = r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]"

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if not isinstance(value, str):
            return _type_error(checker, key, value, "an ORCID iD in quotes, e.g. \"0000-0002-1825-0097\"")
        text = value.strip().removeprefix("https://orcid.org/")
        if not re.fullmatch(self.PATTERN, text):
            return checker.error(key, "orcid", f"`{dotted(key)}` is not an ORCID iD: `{value}`",
                                 "write it as 0000-0000-0000-0000")
        if not orcid_checksum_ok(text):
            return checker.error(key, "orcid", f"`{dotted(key)}` fails the ORCID checksum: `{text}`",
                                 "copy the iD again from orcid.org; one digit is wrong")
        return text

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^\s*(https://orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]\s*$"}


@dataclass
class ListOf(Type):
    item: Type
    min_items: int = 0
    max_items: int = 1000

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if not isinstance(value, list):
            return _type_error(checker, key, value, "a list (one `- item` per line)")
        if not self.min_items <= len(value) <= self.max_items:
            return checker.error(key, "list-length",
                                 f"`{dotted(key)}` must have {self.min_items} to {self.max_items} items", "")
        items = [self.item.check(v, key + (i,), checker) for i, v in enumerate(value)]
        return INVALID if any(i is INVALID for i in items) else items

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.json_schema(), "minItems": self.min_items,
                "maxItems": self.max_items}


@dataclass
class Field:
    type: Type
    required: bool = False
    doc: str = ""


@dataclass
class Record(Type):
    fields: dict[str, Field]
    aliases: dict[str, str] = field(default_factory=dict)  #: accepted spellings of other tools
    ignorable: tuple[str, ...] = ()  #: keys reported as nothing (set from the configuration)

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if not isinstance(value, dict):
            return _type_error(checker, key, value, "a mapping of `key: value` lines")
        result: dict[str, Any] = {}
        ok = True
        for name, item in value.items():
            target = self.aliases.get(name, name)
            if target not in self.fields:
                if name in self.ignorable:
                    continue
                if name in OTHER_TOOLS_KEYS:
                    checker.error(key + (name,), "unknown-key", f"unknown key `{name}`: it steers another tool",
                                  "remove it, or list it under `ignorable_keys` in mirror.toml", of_key=True)
                    ok = False
                    continue
                close = difflib.get_close_matches(name, list(self.fields) + list(self.aliases), n=1, cutoff=0.6)
                hint = f"did you mean `{self.aliases.get(close[0], close[0])}`?" if close else (
                    "known keys: " + ", ".join(self.fields))
                checker.error(key + (name,), "unknown-key", f"unknown key `{dotted(key + (name,))}`", hint,
                              of_key=True)
                ok = False
                continue
            if target in result:
                first = next(a for a in value if self.aliases.get(a, a) == target and a != name)
                checker.error(key + (name,), "duplicate-key", f"`{name}` and `{first}` are the same field", "keep one", of_key=True)
                ok = False
                continue
            checked = self.fields[target].type.check(item, key + (name,), checker)
            ok = ok and checked is not INVALID
            result[target] = checked
        for name, spec in self.fields.items():
            if spec.required and name not in result and not any(self.aliases.get(a) == name for a in value):
                hint = f"add `{name}:` ({spec.doc})" if spec.doc else f"add `{name}:`"
                checker.error(key, "missing-field", f"required field `{dotted(key + (name,))}` is missing", hint)
                ok = False
        return result if ok else INVALID

    def json_schema(self) -> dict[str, Any]:
        properties = {name: {**spec.type.json_schema(), **({"description": spec.doc} if spec.doc else {})}
                      for name, spec in self.fields.items()}
        for alias, target in self.aliases.items():
            properties[alias] = properties[target]
        for name in self.ignorable:
            properties.setdefault(name, {})
        schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False,
                                  "required": [name for name, spec in self.fields.items() if spec.required]}
        if self.aliases:  # a field and its alias together are a duplicate
            schema["allOf"] = [{"not": {"required": [alias, target]}} for alias, target in self.aliases.items()]
        return schema


class Free(Type):
    """`extra:`: anything YAML can say, as long as JSON can carry it."""

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return checker.error(key, "number", f"`{dotted(key)}` is {value}, which JSON cannot carry",
                                 "write it as text in quotes")
        if isinstance(value, dict):
            result = {k: self.check(v, key + (k,), checker) for k, v in value.items()}
            return INVALID if INVALID in result.values() else result
        if isinstance(value, list):
            items = [self.check(v, key + (i,), checker) for i, v in enumerate(value)]
            return INVALID if any(i is INVALID for i in items) else items
        return value

    def json_schema(self) -> dict[str, Any]:
        return {}


@dataclass
class AnyOf(Type):
    """The first alternative whose JSON type matches the value decides (used for affiliations)."""

    options: tuple[Type, ...]
    expected: str

    def check(self, value: Any, key: Key, checker: Checker) -> Any:
        for option in self.options:
            if option.json_schema().get("type") == _json_type(value):
                return option.check(value, key, checker)
        return _type_error(checker, key, value, self.expected)

    def json_schema(self) -> dict[str, Any]:
        return {"anyOf": [o.json_schema() for o in self.options]}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "null")


def resolve_vocabularies(schema: Any, vocabularies: dict[str, tuple[str, ...]]) -> Any:
    """`schema` with each configured vocabulary written in as an `enum`: the journal's own schema."""
    if isinstance(schema, list):
        return [resolve_vocabularies(item, vocabularies) for item in schema]
    if not isinstance(schema, dict):
        return schema
    resolved = {key: resolve_vocabularies(value, vocabularies) for key, value in schema.items() if key != VOCABULARY_KEY}
    if VOCABULARY_KEY in schema:
        resolved["enum"] = list(vocabularies[schema[VOCABULARY_KEY]])
    return resolved
