"""Where a build's time goes, stage by stage (`mirror build --timings`), measured as it runs."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from .write import Made, Reused


class Stopwatch:
    """Laps of wall-clock time; the output groups are timed by kind (`paper`, `listing`, `corpus`, …)."""

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    @property
    def laps(self) -> tuple[tuple[str, float], ...]:
        return tuple(self._laps.items())

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self._laps[name] = self._laps.get(name, 0.0) + now - self._last
        self._last = now

    def each(self, items: Iterable[Made | Reused]) -> Iterator[Made | Reused]:
        """Pass `items` through; the time until the next item is asked for (making this group's files,
        writing them) is added to the lap of the group's kind."""
        for item in items:
            self.lap("outputs: " + _kind(item.name))  # making the item (or waiting for the executor)
            yield item
            self.lap("outputs: " + _kind(item.name))  # writing its files (files are made lazily, while written)

    def __repr__(self) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self._laps.items())


def _kind(name: str) -> str:
    return name.split(":", 1)[0]
