"""No broken internal link anywhere: lychee `--offline` reads every file of the built site (HTML,
feeds, sitemaps, llms.txt, the corpus) with the site's base URL mapped back to the output folder,
so absolute links to the site itself are checked too. A broken link is proven to fail the check."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from machine_outputs import BASE_URL, PUBLISHED, run_tool, tool

pytest_plugins = ["outputs_fixture"]  # the session-scoped `site` fixture


def lychee(site: Path, tmp_path: Path) -> dict[str, Any]:
    """Check `site` as if served at BASE_URL: a host folder where the base path leads to the site."""
    host = tmp_path / "host"
    mount = host / BASE_URL.split("://", 1)[1].split("/", 1)[1].strip("/")
    mount.parent.mkdir(parents=True, exist_ok=True)
    mount.symlink_to(site, target_is_directory=True)
    origin = re.escape(BASE_URL.split("/sub/", 1)[0] + "/")
    result = run_tool(tool("lychee"), "--offline", "--no-progress", "--verbose", "--format", "json", "--root-dir", host,
                      "--remap", f"^{origin} file://{host}/", "--index-files", "index.html", f"{site}/**/*", timeout=120)
    assert result.returncode in (0, 2), result.stderr[-2000:]
    report: dict[str, Any] = json.loads(result.stdout)
    report["returncode"] = result.returncode
    return report


def _checked_files(report: dict[str, Any]) -> set[str]:
    return {Path(source).name for source in report["success_map"]}


def test_no_broken_internal_link(site: Path, tmp_path: Path) -> None:
    report = lychee(site, tmp_path)
    assert report["errors"] == 0, json.dumps(report["error_map"], indent=1)[:4000]
    assert report["returncode"] == 0
    # Links were really followed, through the remapped base URL, from every kind of machine file.
    assert report["successful"] > 100 and report["remaps"] > 50
    assert {"index.html", "feed.atom", "feed.xml", "feed.json", "sitemap.xml", "llms.txt", "index.json",
            "changes.json", "croissant.json", "paper.json"} <= _checked_files(report)


def test_a_broken_link_fails_the_check(site: Path, tmp_path: Path) -> None:
    broken = tmp_path / "site"
    shutil.copytree(site, broken, symlinks=True)
    (broken / "papers" / PUBLISHED[0] / "paper.json").unlink()  # listed in the corpus, feeds and the page's head
    page = broken / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace('href="/sub/path/papers/', 'href="/sub/path/paperz/', 1),
                    encoding="utf-8")
    report = lychee(broken, tmp_path)
    assert report["returncode"] == 2 and report["errors"] >= 3
    failed = json.dumps(report["error_map"])
    assert f"{PUBLISHED[0]}/paper.json" in failed and "/paperz/" in failed
