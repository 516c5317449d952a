"""`mirror serve`, watching: tell the preview when a source of the site changes.

Sources are `papers/`, `templates/`, `static/` and `mirror.toml`. Watchdog's native observer
(inotify on Linux) is used when it starts; when the kernel refuses (inotify watch or instance
limits reached, watchdog#673), a polling observer takes over with a warning instead of a crash.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

WATCHED_FOLDERS = ("papers", "templates", "static")
CONFIG_FILE = "mirror.toml"
#: Opened/closed/attrib events are left out on purpose: the build itself opens and reads every
#: source, and reacting to those reads would rebuild for ever.
CHANGES = frozenset({"created", "deleted", "modified", "moved"})
#: The same, as the events the observer is asked for. Without the filter, inotify also reports every
#: file the build opens and reads: ten thousand papers overflow its queue, and the events it drops
#: force a rescan of every folder (watchdog's "reconciling recursive watches"), again and again.
EVENTS: list[type[FileSystemEvent]] = [FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent,
                                       DirCreatedEvent, DirDeletedEvent, DirModifiedEvent, DirMovedEvent]

ObserverFactory = Callable[[], BaseObserver]


def source_of(root: Path, path: str) -> str | None:
    """The journal-relative path when `path` is a source of the site, else None (editor swap
    files, hidden files and anything outside the watched sources are ignored)."""
    try:
        relative = Path(path).relative_to(root)
    except ValueError:
        return None
    parts = relative.parts
    if not parts or any(p.startswith(".") or p.endswith("~") for p in parts):
        return None
    if parts[0] in WATCHED_FOLDERS or relative.as_posix() == CONFIG_FILE:
        return relative.as_posix()
    return None


class _Forward(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._watcher.event(event)


class Watcher:
    """Schedules the journal's sources on an observer and calls `on_change` with each changed
    journal-relative path (from the observer's thread)."""

    def __init__(self, root: Path, on_change: Callable[[str], None], warn: Callable[[str], None],
                 observer_factory: ObserverFactory = Observer, poll_interval: float = 1.0) -> None:
        self.root = root.resolve()
        self._on_change = on_change
        self._warn = warn
        self._factory = observer_factory
        self._poll_interval = poll_interval
        self._handler = _Forward(self)
        self._observer: BaseObserver | None = None
        self._watches: dict[str, ObservedWatch] = {}
        self.polling = False  #: True when inotify was refused and files are polled

    def start(self) -> None:
        try:
            self._observer = self._started(self._factory())
        except OSError as exc:
            self._warn(f"warning: cannot watch files natively ({exc}); polling every {self._poll_interval:g} s "
                       "instead (raise fs.inotify.max_user_watches / max_user_instances to avoid this)")
            self.polling = True
            self._observer = self._started(PollingObserver(timeout=self._poll_interval))

    def _started(self, observer: BaseObserver) -> BaseObserver:
        self._watches = {}
        try:
            observer.schedule(self._handler, str(self.root), recursive=False, event_filter=EVENTS)  # mirror.toml, new folders
            for name in WATCHED_FOLDERS:
                if (self.root / name).is_dir():
                    self._watches[name] = observer.schedule(self._handler, str(self.root / name), recursive=True,
                                                            event_filter=EVENTS)
            observer.start()
        except BaseException:
            # Emitters that did start must not linger once this observer is abandoned.
            with contextlib.suppress(Exception):
                observer.unschedule_all()
            raise
        return observer

    def event(self, event: FileSystemEvent) -> None:
        if event.event_type not in CHANGES:
            return
        if isinstance(event, DirCreatedEvent) and not event.is_synthetic:
            self._watch_new_folder(os.fsdecode(event.src_path))
        for raw in (event.src_path, event.dest_path):
            changed = source_of(self.root, os.fsdecode(raw)) if raw else None
            if changed:
                self._on_change(changed)
                return

    def _watch_new_folder(self, path: str) -> None:
        """`papers/` (or `templates/`, `static/`) created after start: watch it too."""
        folder = Path(path)
        if folder.parent != self.root or folder.name not in WATCHED_FOLDERS or self._observer is None:
            return
        try:
            old = self._watches.pop(folder.name, None)
            if old is not None:  # deleted and created again: its old watch is dead
                self._observer.unschedule(old)
            self._watches[folder.name] = self._observer.schedule(self._handler, path, recursive=True, event_filter=EVENTS)
        except (OSError, KeyError) as exc:
            self._warn(f"warning: cannot watch {folder.name}/ ({exc}); restart mirror serve to see its changes")

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            with contextlib.suppress(RuntimeError):
                observer.join(timeout=5)
