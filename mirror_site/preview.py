"""`mirror serve`, building: full rebuilds into private folders and the snapshot being served.

Every rebuild writes a fresh folder of its own (never `site/`, which `mirror build` owns) and the
served snapshot is swapped only once that folder is complete, so a request never sees a half
written site (RELIABILITY.md row 70). A folder is deleted once it is neither served nor being read.
Saves are debounced: a rebuild starts after `debounce` seconds without a change (row 72).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .build import BuildOptions, BuildResult, build
from .diagnostics import Diagnostic
from .executor import MIN_PARALLEL, process_pool, workers
from .load import paper_folders
from .manifest import manifest_file
from .memo import Memo
from .prepare import Reuse
from .write import link_copy

#: Saves that never pause for this long still get a rebuild after this many seconds.
MAX_DELAY = 3.0


@dataclass(frozen=True)
class Snapshot:
    """One finished build as the server shows it; never changes once made."""

    generation: int  #: counts finished builds, good or bad: open pages reload when it moves
    folder: Path | None  #: the complete site served (the last good one), None while there is none
    diagnostics: tuple[Diagnostic, ...] = ()  #: everything the build reported
    held_back: frozenset[str] = frozenset()  #: slugs of papers with errors
    stale: frozenset[str] = frozenset()  #: held-back slugs still served from an earlier build
    drafts: frozenset[str] = frozenset()  #: slugs of draft papers shown (`--drafts`)
    failure: str = ""  #: why this build failed as a whole; `folder` is then an earlier build

    def problems_of(self, slug: str) -> tuple[Diagnostic, ...]:
        """The diagnostics anchored in the paper's folder."""
        folder = f"papers/{slug}"
        return tuple(d for d in self.diagnostics if d.path == folder or d.path.startswith(folder + "/"))

    def site_problems(self) -> tuple[Diagnostic, ...]:
        """When the whole build failed: the errors that made it fail."""
        return tuple(d for d in self.diagnostics if d.level == "error") if self.failure else ()


class Preview:
    """Rebuilds the journal on demand and hands out the latest snapshot, thread-safely."""

    def __init__(self, root: Path, workdir: Path, log: Callable[[str], None], drafts: bool = False,
                 jobs: int = 0, debounce: float = 0.2) -> None:
        self.root = root
        self._workdir = workdir
        self._log = log
        self._drafts = drafts
        self._jobs = jobs
        self._debounce = debounce
        self._base_url = ""
        self._lock = threading.Condition()  # guards everything below; notified on a new snapshot
        self._build_lock = threading.Lock()  # one build at a time
        self._snapshot = Snapshot(0, None)
        self._leases: Counter[Path] = Counter()
        self._retired: set[Path] = set()
        self._first_change = self._last_change = 0.0  # monotonic times; 0 means nothing pending
        self._closed = False
        self._thread: threading.Thread | None = None
        self._pool: ProcessPoolExecutor | None = None  #: kept across rebuilds: no worker start-up per save
        self._spare: Path | None = None  #: a retired build folder the next build recycles (write.py)
        self._overlaid: set[Path] = set()  #: build folders changed after their build (stale pages copied in)
        self._prepared: Reuse | None = None  #: the last build's prepared papers
        self._memo = Memo()  #: the last build's per-paper values of the whole-site outputs
        self._dirty: set[str] | None = None  #: papers changed since the last build started (None: anything)

    @property
    def builds(self) -> int:
        """How many builds ran (the first included): what tests of debouncing count."""
        return self._snapshot.generation

    @property
    def idle(self) -> bool:
        """No change is waiting for a rebuild and none is running."""
        with self._lock:
            return not self._first_change and not self._build_lock.locked()

    def current(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def start(self, base_url: str) -> Snapshot:
        """Build once, then rebuild after every change reported by `changed`."""
        self._base_url = base_url
        first = self.rebuild()
        self._thread = threading.Thread(target=self._loop, name="mirror-rebuild", daemon=True)
        self._thread.start()
        return first

    def changed(self, path: str) -> None:
        """A source changed (called from the watcher's thread): schedule a debounced rebuild."""
        now = time.monotonic()
        with self._lock:
            parts = path.split("/")
            if self._dirty is not None and parts[0] == "papers" and len(parts) > 1:
                self._dirty.add(parts[1])  # that paper is read again; the others are taken as they were
            elif parts[0] not in ("templates", "static"):  # mirror.toml, papers/ itself: everything
                self._dirty = None
            self._first_change = self._first_change or now
            self._last_change = now
            self._lock.notify_all()

    def wait_for_change(self, seen: int, timeout: float) -> int | None:
        """Block until the generation differs from `seen` or `timeout` passes; None once closed."""
        with self._lock:
            self._lock.wait_for(lambda: self._closed or self._snapshot.generation != seen, timeout)
            return None if self._closed else self._snapshot.generation

    @contextmanager
    def lease(self) -> Iterator[Snapshot]:
        """The current snapshot, its folder kept on disk until the block ends."""
        with self._lock:
            snapshot = self._snapshot
            if snapshot.folder:
                self._leases[snapshot.folder] += 1
        try:
            yield snapshot
        finally:
            if snapshot.folder:
                with self._lock:
                    self._leases[snapshot.folder] -= 1
                self._collect()

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._closed or self._first_change > 0)
                while not self._closed:
                    now = time.monotonic()
                    left = min(self._last_change + self._debounce, self._first_change + MAX_DELAY) - now
                    if left <= 0:
                        break
                    self._lock.wait(left)
                if self._closed:
                    return
                # Changes arriving from here on will be seen by a later build.
                self._first_change = self._last_change = 0.0
            self.rebuild()

    def rebuild(self) -> Snapshot:
        """Build into a new folder and serve it if it is complete; never raises."""
        with self._build_lock:
            started = time.monotonic()
            generation = self._snapshot.generation + 1
            out = self._workdir / f"build-{generation}" / "site"
            try:
                self._recycle(out)
                # Unchanged files are hard-linked from the site being served; rendering reuses the cache.
                with self._lock:  # changes from here on are the next build's to read
                    dirty, self._dirty = self._dirty, set()
                    reuse = Reuse(self._prepared.settings, self._prepared.prepared, dirty) if self._prepared else None
                self._prepared, self._memo = None, self._memo.next()
                result = build(BuildOptions(root=self.root, out=out, base_url=self._base_url, jobs=self._jobs,
                                            drafts=self._drafts, pool=self._executor(), previous=self._snapshot.folder,
                                            reuse=reuse, memo=self._memo))
                self._prepared = result.prepared
            except Exception:  # noqa: BLE001 - a bug in the engine must not stop the preview
                result = BuildResult(1, (), failure="internal error (a Mirror bug):\n" + traceback.format_exc())
            snapshot = self._snapshot_of(result, generation, out)
            with self._lock:
                old, self._snapshot = self._snapshot, snapshot
                if old.folder and old.folder != snapshot.folder:
                    self._retired.add(old.folder)
                self._lock.notify_all()
            self._collect()
            self._report(snapshot, time.monotonic() - started)
            with self._lock:  # a retired snapshot still being read becomes the spare once read
                bare = self._spare is None and not self._retired
            if bare and snapshot.folder:
                self._make_spare(snapshot.folder)
            return snapshot

    def _snapshot_of(self, result: BuildResult, generation: int, out: Path) -> Snapshot:
        previous = self._snapshot
        held = frozenset(result.held_back)
        if result.failure or not out.is_dir():
            shutil.rmtree(out.parent, ignore_errors=True)
            return Snapshot(generation, previous.folder, result.diagnostics, held, previous.stale,
                            previous.drafts, result.failure or "the site was not written")
        # A paper that was good and just broke keeps its last good pages, under an overlay.
        stale = set()
        for slug in sorted(held):
            last_good = previous.folder / "papers" / slug if previous.folder else None
            if last_good and last_good.is_dir() and not (out / "papers" / slug).exists():
                shutil.copytree(last_good, out / "papers" / slug, symlinks=True)
                stale.add(slug)
        if stale:
            self._overlaid.add(out)  # its manifest no longer lists all it holds: never recycled
        return Snapshot(generation, out, result.diagnostics, held, frozenset(stale), frozenset(result.drafts))

    def _collect(self) -> None:
        """Put away build folders that are neither served nor being read: one is kept to be recycled,
        the others are deleted. Called by the rebuild and by requests as their leases end."""
        with self._lock:
            done = {f for f in self._retired if self._leases[f] <= 0}
            self._retired -= done
            for folder in done:
                del self._leases[folder]
            keep = next((f for f in sorted(done) if f not in self._overlaid), None) if self._spare is None else None
            if keep is not None:
                self._spare = self._park(keep)
                done.discard(keep)
            self._overlaid -= done
        self._discard([folder.parent for folder in done])

    def _discard(self, folders: list[Path]) -> None:
        """Delete folders in the background: a site of 77,000 files takes seconds to delete, which
        neither a request nor the next rebuild should wait for."""
        if folders:
            threading.Thread(target=_delete, args=(folders,), name="mirror-cleanup", daemon=True).start()

    def _make_spare(self, folder: Path) -> None:
        """After the first build no retired snapshot is left to recycle, and the next build would
        link the whole site anew (1.5 s at 10,000 papers, with the user waiting). Make the spare
        now instead, as a linked copy of the snapshot just served, while nobody waits."""
        if folder in self._overlaid:
            return  # its manifest does not list the stale pages copied in
        spare = self._spare_folder()
        try:
            made = link_copy(folder, spare)
        except OSError:
            made = False
        with self._lock:
            kept = made and self._spare is None  # a request may have parked a retired folder meanwhile
            if kept:
                self._spare = spare
        if not kept:
            self._discard([spare.parent])

    def _spare_folder(self) -> Path:
        """A new name for a spare: never one that a deletion in the background may still be removing."""
        return Path(tempfile.mkdtemp(prefix="spare-", dir=self._workdir)) / "site"

    def _park(self, folder: Path) -> Path | None:
        """Move a retired folder (and its manifest) out of the way until the next build recycles it."""
        parked = self._spare_folder()
        try:
            os.rename(folder, parked)
            os.rename(manifest_file(folder), manifest_file(parked))
        except OSError:
            self._discard([folder.parent, parked.parent])
            return None
        shutil.rmtree(folder.parent, ignore_errors=True)  # empty now
        return parked

    def _recycle(self, out: Path) -> None:
        """Hand the kept folder to the build writing `out`, as its spare: only the files that differ are
        replaced, instead of a whole tree being linked and another deleted (slow on many disks)."""
        out.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return
        recycled = out.parent / f".{out.name}.spare"
        try:
            os.rename(spare, recycled)
            os.rename(manifest_file(spare), manifest_file(recycled))
        except OSError:
            pass  # without its manifest the spare is not trusted, and the build deletes it
        self._discard([spare.parent])  # empty, unless a rename failed

    def _executor(self) -> Executor | None:
        """A process pool for journals big enough to gain from one, started by the first build."""
        if self._pool is None and workers(self._jobs) > 1 and len(paper_folders(self.root)) >= MIN_PARALLEL:
            self._pool = process_pool(self._jobs)
        return self._pool

    def _report(self, snapshot: Snapshot, seconds: float) -> None:
        for diagnostic in snapshot.diagnostics:
            self._log(diagnostic.format())
        if snapshot.failure:
            self._log(f"build {snapshot.generation} failed: {snapshot.failure}; still serving the last good site")
            return
        held = f", {len(snapshot.held_back)} held back: {', '.join(sorted(snapshot.held_back))}" if snapshot.held_back else ""
        self._log(f"build {snapshot.generation} done in {seconds:.2f} s{held}")

    def close(self) -> None:
        """Stop rebuilding, release waiting event streams and delete every build folder."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._build_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            shutil.rmtree(self._workdir, ignore_errors=True)


def _delete(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
