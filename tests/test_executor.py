"""The per-paper steps through other executors: the site is the same whoever runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import tree
from test_build import GOLDEN_JOURNAL

from mirror_site.build import EXIT_OK, EXIT_USAGE, BuildOptions, build


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
