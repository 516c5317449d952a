"""What `mirror serve` keeps from one build to the next of the values each whole-site output
computes from every paper (its corpus index row, its lines of `llms.txt`, its search record): at
10,000 papers, computing them all again cost more than the edited paper itself.

A value is kept under a key naming everything it is computed from (the paper's fingerprint, its
body's, the configuration's, and whatever else the caller adds), so a kept value is exactly the
one the build would compute. Each build starts a new memo from the last one's values, so what a
build did not use (papers deleted or edited since) is dropped rather than kept forever.
`mirror build` keeps nothing: it has no next build to keep it for.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

T = TypeVar("T")


@dataclass(frozen=True)
class Memo:
    earlier: Mapping[Hashable, Any] = field(default_factory=dict)  #: the previous build's values
    values: dict[Hashable, Any] = field(default_factory=dict)  #: this build's, so far

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept under `key`, else `make()`, kept for this build and the next."""
        if key in self.values:
            return cast(T, self.values[key])
        value = self.earlier[key] if key in self.earlier else make()
        self.values[key] = value
        return cast(T, value)

    def next(self) -> Memo:
        """The memo of the next build: the values this build used, and nothing older."""
        return Memo(self.values)
