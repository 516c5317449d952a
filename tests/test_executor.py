"""The per-paper steps through other executors: the site is the same whoever runs them."""

from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import tree
from test_build import GOLDEN_JOURNAL

from mirror_site.build import EXIT_OK, EXIT_USAGE, BuildOptions, build
from mirror_site.executor import run_ordered
from mirror_site.manifest import Manifest, manifest_file, write_manifest
from mirror_site.write import link_copy, previous_site


def test_a_dask_cluster_builds_the_same_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--executor tcp://…`: a local Dask cluster on 127.0.0.1 (two worker processes) renders and
    makes the pages; the result is byte-identical to a build in this process."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    local, remote = tmp_path / "local", tmp_path / "remote"
    shutil.copytree(GOLDEN_JOURNAL, local)
    shutil.copytree(GOLDEN_JOURNAL, remote)
    assert build(BuildOptions(root=local, out=local / "site", jobs=1)).exit_code == EXIT_OK
    with distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = build(BuildOptions(root=remote, out=remote / "site", executor=cluster.scheduler_address))
    assert result.exit_code == EXIT_OK, result.failure
    assert tree(remote / "site") == tree(local / "site")


def test_an_unreachable_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    shutil.copytree(GOLDEN_JOURNAL, tmp_path / "j")
    result = build(BuildOptions(root=tmp_path / "j", out=tmp_path / "j" / "site", executor="tcp://127.0.0.1:9"))
    assert result.exit_code == EXIT_USAGE and "Dask scheduler" in result.failure
    assert not (tmp_path / "j" / "site").exists()


def test_results_dropped_unread_cancel_the_work_not_started() -> None:
    """`run_ordered` sends its first chunks at once; a build that fails before reading them (a
    template fault in a paper group, say) must not leave them queued ahead of the next build's work."""
    started, release, ran = threading.Event(), threading.Event(), []

    def work(n: int) -> int:
        if n == 0:
            started.set()
            release.wait(10)
        ran.append(n)
        return n

    with ThreadPoolExecutor(1) as pool:
        results = run_ordered(pool, work, range(6), 1, ahead=3)
        assert started.wait(10)
        del results  # dropped unread
        release.set()
    assert ran == [0]  # the chunk already running finishes; the three queued behind it never run


def test_results_come_in_order_with_little_in_flight() -> None:
    with ThreadPoolExecutor(2) as pool:
        assert list(run_ordered(pool, lambda n: n * n, range(50), 3, ahead=2)) == [n * n for n in range(50)]
        assert list(run_ordered(pool, lambda n: n, range(5), 1, ahead=0)) == list(range(5))


def test_link_copy_makes_a_linked_site_whatever_the_order_of_its_manifest(tmp_path: Path) -> None:
    """`mirror serve` makes its first spare with `link_copy`; a manifest listing a file at the top of
    the site first used to fail (the copy's own folder was never made)."""
    shutil.copytree(GOLDEN_JOURNAL, tmp_path / "j")
    site = tmp_path / "j" / "site"
    assert build(BuildOptions(root=tmp_path / "j", out=site, jobs=1)).exit_code == EXIT_OK
    manifest = previous_site(site)
    assert manifest is not None
    files = dict(sorted(manifest.files.items(), key=lambda item: "/" in item[0]))  # top-level files first
    write_manifest(manifest_file(site), site, Manifest(files=files, groups=manifest.groups, facts=manifest.facts))
    copy = tmp_path / "spare" / "site"
    assert link_copy(site, copy)
    assert tree(copy) == tree(site)
    assert all(os.path.samefile(site / path, copy / path) for path in files)
    copied = previous_site(copy)
    assert copied is not None and copied.files == files
