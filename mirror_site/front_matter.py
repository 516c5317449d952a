"""Split a paper's front matter from its body and parse the YAML strictly, keeping positions.

PyYAML's own loaders keep the last of duplicate keys, expand alias bombs, construct Python
objects from tags and turn invalid dates into bare `ValueError`s. We compose the node graph
with PyYAML's scanner and parser (which carry line marks) and build plain values ourselves,
refusing everything a paper never needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .diagnostics import Diagnostic, error

FENCE = re.compile(r"---[ \t]*")
CLOSING_FENCE = re.compile(r"(---|\.\.\.)[ \t]*")
MAX_DEPTH = 24
MAX_NODES = 20_000

Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Positions:
    """Where each value (and each mapping key) of the front matter sits in the file (1-based)."""

    values: dict[Key, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Key, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: Key, key: bool = False) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        for cut in range(len(path), -1, -1):
            if path[:cut] in table:
                return table[path[:cut]]
            if path[:cut] in self.values:
                return self.values[path[:cut]]
        return (1, 1)


@dataclass(frozen=True)
class Split:
    """A document cut at its front-matter fences."""

    front: str  #: YAML text between the fences
    front_line: int  #: line number of the first YAML line
    body: str  #: Markdown after the closing fence
    body_line: int  #: line number of the first body line


def split(text: str, path: str) -> Split | Diagnostic:
    """Cut `text` (already decoded, LF line endings) into front matter and body."""
    lines = text.split("\n")
    if not text.strip():
        return error(path, 1, 1, "front-matter-missing", "the file is empty",
                     "start the file with a line `---`, the YAML front matter, and a closing `---`")
    if not FENCE.fullmatch(lines[0]):
        return error(path, 1, 1, "front-matter-missing",
                     "the file does not start with a `---` front-matter fence",
                     "put `---` on the first line, then the YAML front matter, then `---`")
    for index in range(1, len(lines)):
        if CLOSING_FENCE.fullmatch(lines[index]):
            return Split("\n".join(lines[1:index]), 2, "\n".join(lines[index + 1:]), index + 2)
    return error(path, 1, 1, "front-matter-unclosed",
                 f"the front matter opened on line 1 is never closed (end of file at line {len(lines)})",
                 "add a line `---` after the last front-matter key")


class _Composer(Composer):
    """Composes nodes but refuses anchors and aliases: no paper needs them, and they enable bombs."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]  # mixed in from Parser
        if isinstance(event, AliasEvent):
            raise _Refused("yaml-alias", "YAML aliases (`*name`) are not allowed in front matter",
                           "write the value out in full", event.start_mark)
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _Refused("yaml-alias", "YAML anchors (`&name`) are not allowed in front matter",
                           "remove the anchor and write values out in full", event.start_mark)
        return super().compose_node(parent, index)


class _Loader(Reader, Scanner, Parser, _Composer, Resolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Composer.__init__(self)
        Resolver.__init__(self)


class _Refused(Exception):
    def __init__(self, code: str, message: str, hint: str, mark: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.hint, self.mark = code, message, hint, mark


_SCALARS = SafeConstructor()
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str": lambda node: node.value,
    "tag:yaml.org,2002:int": _SCALARS.construct_yaml_int,
    "tag:yaml.org,2002:float": _SCALARS.construct_yaml_float,
    "tag:yaml.org,2002:bool": _SCALARS.construct_yaml_bool,
    "tag:yaml.org,2002:null": _SCALARS.construct_yaml_null,
    # Dates stay text: the validator parses them, so an impossible date is a diagnostic, not a crash.
    "tag:yaml.org,2002:timestamp": lambda node: node.value,
}

_YAML_HINTS = {
    "mapping values are not allowed here": "a value containing `: ` must be quoted, e.g. title: \"Foo: bar\"",
    "found character '\\t' that cannot start any token": "indent YAML with spaces, never tabs",
    "found a tab character": "indent YAML with spaces, never tabs",
    "could not find expected ':'": "each line must be `key: value`; quote values that contain `:` or `#`",
    "found duplicate anchor": "anchors are not allowed",
}


@dataclass
class _Builder:
    line_offset: int
    values: dict[Key, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Key, tuple[int, int]] = field(default_factory=dict)
    count: int = 0

    def where(self, node: Node) -> tuple[int, int]:
        return node.start_mark.line + self.line_offset, node.start_mark.column + 1

    def build(self, node: Node, path: Key) -> Any:
        self.count += 1
        if self.count > MAX_NODES or len(path) > MAX_DEPTH:
            raise _Refused("yaml-too-large", "the front matter is too large or too deeply nested",
                           f"keep it under {MAX_NODES} values and {MAX_DEPTH} levels", node.start_mark)
        self.values[path] = self.where(node)
        if isinstance(node, ScalarNode):
            make = _PLAIN_TAGS.get(node.tag)
            if make is None:
                raise _Refused("yaml-tag", f"the YAML tag `{node.tag}` is not allowed",
                               "remove the tag; front matter holds plain text, numbers, lists and mappings",
                               node.start_mark)
            return make(node)  # type: ignore[no-untyped-call]
        if isinstance(node, SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise _Refused("yaml-tag", f"the YAML tag `{node.tag}` is not allowed", "remove the tag",
                               node.start_mark)
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        if node.tag != "tag:yaml.org,2002:map":
            raise _Refused("yaml-tag", f"the YAML tag `{node.tag}` is not allowed", "remove the tag",
                           node.start_mark)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused("yaml-key", "mapping keys must be plain words", "write `key: value`",
                               key_node.start_mark)
            key = str(key_node.value)
            if key in result:
                line, _ = self.keys[path + (key,)]
                raise _Refused("yaml-duplicate-key", f"the key `{key}` appears twice (first on line {line})",
                               "keep one of them: YAML would silently use the last", key_node.start_mark)
            self.keys[path + (key,)] = self.where(key_node)
            result[key] = self.build(value_node, path + (key,))
        return result


@dataclass(frozen=True)
class FrontMatter:
    data: dict[str, Any]
    positions: Positions


def parse(split_doc: Split, path: str, max_bytes: int) -> FrontMatter | Diagnostic:
    """Parse the YAML of `split_doc` into plain values with their positions, or one diagnostic."""
    size = len(split_doc.front.encode("utf-8"))
    if size > max_bytes:
        return error(path, split_doc.front_line, 1, "front-matter-too-large",
                     f"the front matter is {size} bytes, over the limit of {max_bytes}",
                     "move long content into the body; raise `limits.max_front_matter_bytes` if intended")
    offset = split_doc.front_line
    try:
        loader = _Loader(split_doc.front)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        if node is None:
            return error(path, offset, 1, "front-matter-empty", "the front matter is empty",
                         "add at least title, authors, date and abstract")
        builder = _Builder(offset)
        data = builder.build(node, ())
    except _Refused as refused:
        return error(path, refused.mark.line + offset, refused.mark.column + 1, refused.code,
                     refused.message, refused.hint)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        line, col = (mark.line + offset, mark.column + 1) if mark else (offset, 1)
        hint = next((h for k, h in _YAML_HINTS.items() if k in problem),
                    "check the YAML syntax at this place; quote values that contain special characters")
        return error(path, line, col, "yaml-syntax", f"invalid YAML: {problem}", hint)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        return error(path, offset, 1, "yaml-syntax", f"invalid YAML: {exc}", "check the YAML syntax")
    if not isinstance(data, dict):
        return error(path, offset, 1, "front-matter-not-mapping",
                     "the front matter must be a mapping of `key: value` lines",
                     "write one `key: value` per line")
    return FrontMatter(data, Positions(builder.values, builder.keys))
