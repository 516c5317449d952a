"""A generous time limit on rendering one paper, to catch hangs (an unforeseen quadratic or an endless
loop in parsing code) without ever making the output depend on how busy the machine is.

The limit counts CPU time of the rendering process (`ITIMER_PROF`), not wall-clock time: a loaded
machine slows a render down in wall-clock terms but barely changes the CPU time it needs, so a paper
that renders in a second never comes near the default of 60. The timer raises `RenderTimeout` from a
signal handler, which only the main thread of a process can receive: that is where `mirror build` and
`mirror check` render (in process, or in the main thread of each worker process). Elsewhere (the
rebuild thread of `mirror serve`, the threads of Dask workers) rendering runs unguarded.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_TIMER = signal.ITIMER_PROF
_SIGNAL = signal.SIGPROF
_REPEAT = 1.0  #: seconds: the signal fires again while the guard is on, should parsing code swallow it once


class RenderTimeout(BaseException):
    """The time limit passed. A BaseException, so that parsing code's `except Exception` lets it through."""


def _can_guard() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise `RenderTimeout` inside the block once it has used `seconds` of CPU time (main thread only)."""
    if not _can_guard():
        yield
        return
    active = [True]

    def expire(signum: int, frame: FrameType | None) -> None:
        if active[0]:  # a signal raced with the end of the block: ignored
            raise RenderTimeout(f"over {seconds} s of CPU time")

    previous = signal.signal(_SIGNAL, expire)
    signal.setitimer(_TIMER, seconds, _REPEAT)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(_TIMER, 0)
        signal.signal(_SIGNAL, previous if previous is not None else signal.SIG_DFL)
