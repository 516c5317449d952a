"""Where the per-paper steps run: in this process, in a local process pool (`--jobs`, the
default), or on a Dask cluster (`--executor tcp://HOST:PORT`). Anything with the
`concurrent.futures.Executor` interface will do: the steps are pure functions of picklable values.

Work is sent in chunks (one message per chunk, not per paper), at most a few chunks ahead of the
results being consumed, so that finished results never pile up in memory faster than the build
writes them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_PARALLEL = 16  #: fewer items than this run in this process: starting workers would cost more
MAX_CHUNK = 32  #: items per message at most: small enough that the last chunks balance the workers


class ExecutorFailed(Exception):
    """The executor named by `--executor` cannot be reached or used."""


def _run_chunk(function: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [function(item) for item in chunk]


def workers(jobs: int) -> int:
    return jobs or os.cpu_count() or 1


def _ignore_interrupts() -> None:
    """In each worker: Ctrl-C reaches the whole process group, and the parent alone stops the build
    (it cancels the work not yet started, lets the running chunks end and shuts the pool down). A
    worker that died of it would break the pool, and Python 3.11 then prints tracebacks of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Pool(ProcessPoolExecutor):
    """A process pool whose shutdown Ctrl-C does not cut in half: a pool left half shut down prints
    tracebacks when the program exits. The interrupt is raised once the pool is shut down."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if threading.current_thread() is not threading.main_thread():
            return super().shutdown(wait, cancel_futures=cancel_futures)
        interrupted: list[int] = []
        previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
        try:
            super().shutdown(wait, cancel_futures=cancel_futures)
        finally:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
        if interrupted:
            raise KeyboardInterrupt


def process_pool(jobs: int) -> ProcessPoolExecutor:
    # forkserver, not fork: `mirror serve` runs builds from a process that also runs server threads.
    return _Pool(max_workers=workers(jobs), mp_context=multiprocessing.get_context("forkserver"),
                 initializer=_ignore_interrupts)


def dask_executor(address: str) -> AbstractContextManager[Executor]:
    """An executor on the Dask scheduler at `address` (`tcp://host:port`). Its workers must see the
    journal folder and its cache at the same paths as this machine (a shared file system)."""
    try:
        from distributed import Client  # optional: pip install 'mirror-site[dask]'
    except ImportError as exc:
        raise ExecutorFailed("--executor needs Dask: pip install 'mirror-site[dask]'") from exc

    @contextmanager
    def connected() -> Iterator[Executor]:
        try:
            client = Client(address, timeout=10, set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise ExecutorFailed(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        try:
            yield client.get_executor(pure=False)  # type: ignore[no-untyped-call]
        finally:
            client.close()  # type: ignore[no-untyped-call]

    return connected()


def open_executor(jobs: int, address: str, items: int) -> AbstractContextManager[Executor | None]:
    """The executor for `items` pieces of work (None: run them here)."""
    if address:
        return dask_executor(address)
    if workers(jobs) == 1 or items < MIN_PARALLEL:
        return nullcontext(None)
    return process_pool(jobs)


def chunk_size(items: int, workers_: int) -> int:
    return max(1, min(MAX_CHUNK, items // (workers_ * 8)))


def run_ordered(executor: Executor | None, function: Callable[[T], R], items: Iterable[T], chunk: int = 1,
                ahead: int = 8) -> Iterator[R]:
    """`map(function, items)` through `executor`, results in the order of `items`, with at most
    `ahead` chunks in flight beyond the one being consumed. The first chunks are sent at once, not
    when the first result is asked for: the executor works on them while the caller does other work."""
    if executor is None:
        return map(function, items)  # made one by one as they are consumed
    return _Ordered(executor, function, _batches(items, chunk), max(1, ahead))


def _batches(items: Iterable[T], chunk: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, chunk)):
        yield batch


class _Ordered(Iterator[R]):
    """The results of `run_ordered`. Work still pending when it is dropped unread (a build that
    failed before reading them) is cancelled: a generator that never started could not do that."""

    def __init__(self, executor: Executor, function: Callable[[T], R], batches: Iterator[list[T]], ahead: int) -> None:
        self._executor, self._function, self._batches, self._ahead = executor, function, batches, ahead
        self._ready: deque[R] = deque()
        self._pending: deque[Future[list[R]]] = deque()
        self._top_up(ahead + 1)

    def _top_up(self, count: int) -> None:
        for batch in islice(self._batches, max(0, count)):
            self._pending.append(self._executor.submit(_run_chunk, self._function, batch))

    def __next__(self) -> R:
        while not self._ready:
            if not self._pending:
                raise StopIteration
            done = self._pending.popleft()
            self._top_up(self._ahead - len(self._pending))
            self._ready.extend(done.result())
        return self._ready.popleft()

    def __del__(self) -> None:
        for future in getattr(self, "_pending", ()):
            future.cancel()
