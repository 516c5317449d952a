"""The fixture journal of the machine-facing output tests, and the validators' helpers. Built under a
base URL with a sub-path: published papers of several months (one retracted, one revised, one with every
research field), one held-back paper and one draft, which must appear nowhere."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import GOOD_FRONT, PNG_3x2, paper_text, run, write_journal

from mirror_site.build import EXIT_HELD_BACK

BASE_URL = "https://x.org/sub/path/"
PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "validators"
NODE = PROJECT / "node_modules"
PUBLISHED = ("attention-sinks-probe", "full-metadata-paper", "retracted-claim", "revised-finding")
HIDDEN = {"held-back-paper": "Held back title", "draft-paper": "Draft only title"}

FULL_FRONT = """\
title: "Every field: SAE features & circuits in <GPT-2> small"
authors:
  - name: "Circuit Agent"
    kind: ai
    model: "agent-model-3 (2026-01)"
    roles: [investigation, software]
    corresponding: true
  - name: "María José van der Berg"
    kind: human
    orcid: "0000-0002-1825-0097"
    affiliation: ["Institute of Examples", "Lab, Inc."]
date: 2026-03-04
updated: 2026-03-20
abstract: "We map *sparse* features with $x^2$ and {braces} & 100% of % signs."
license: CC-BY-SA-4.0
keywords: [sparse autoencoders, circuits]
methods: [sparse-autoencoder, activation-patching]
finding: novel
doi: "10.1234/mirror.5678"
arxiv: "2601.01234"
subject_models:
  - name: GPT-2 small
    revision: main
    parameters: 124M
    url: https://huggingface.co/gpt2
relations:
  extends: [attention-sinks-probe]
  uses_method_of: ["doi:10.1000/xyz123"]
ai_involvement: {hypothesis: ai, design: ai, experiments: ai, analysis: mixed, writing: ai, human_oversight: light}
reproducibility:
  code: https://example.org/code
  commit: abc1234
  compute: {hardware: "1 GPU", gpu_hours: 2.5}
  seeds: [0, 1]
claims:
  - id: features-split
    statement: "Features split as the dictionary grows."
"""

RETRACTED_FRONT = GOOD_FRONT.replace('"A good paper"', '"A claim we retract"').replace("2026-01-15", "2026-01-20") + """\
status: retracted
retraction: {date: 2026-02-10, reason: "The effect was a data leak."}
finding: negative
"""

# Version 1 of the revised paper, frozen in versions/v1.md; version 2 records its hash.
REVISED_V1 = paper_text(GOOD_FRONT.replace('"A good paper"', '"A finding"').replace("2026-01-15", "2025-12-01")
                        + "finding: replication\n")
REVISED_FRONT = GOOD_FRONT.replace('"A good paper"', '"A finding, revised"').replace("2026-01-15", "2025-12-01") + f"""\
version: 2
changes:
  - version: 2
    date: 2026-01-05
    kind: correction
    summary: "Fixed a sign in Table 1."
    sha256: "{hashlib.sha256(REVISED_V1.encode()).hexdigest()}"
finding: replication
"""


def journal_files() -> dict[str, str | bytes]:
    golden = Path(__file__).parent / "fixtures" / "golden-journal" / "papers" / "attention-sinks-probe" / "paper.md"
    return {
        "mirror.toml": 'title = "Fixture Journal"\ndescription = "Machine outputs under test."\n'
                       'base_url = "https://wrong.example.org/"\n',
        "papers/attention-sinks-probe/paper.md": golden.read_text(encoding="utf-8"),
        "papers/full-metadata-paper/paper.md": paper_text(FULL_FRONT, "# Method\n\n![A plot.](fig.png)\n\n## Result\n\n"
                                                          "Features split[^1].\n\n[^1]: Mostly.\n"),
        "papers/full-metadata-paper/fig.png": PNG_3x2,
        "papers/retracted-claim/paper.md": paper_text(RETRACTED_FRONT),
        "papers/revised-finding/paper.md": paper_text(REVISED_FRONT),
        "papers/revised-finding/versions/v1.md": REVISED_V1.encode(),  # bytes: written exactly, as hashed
        "papers/held-back-paper/paper.md": paper_text(GOOD_FRONT.replace('"A good paper"', f'"{HIDDEN["held-back-paper"]}"')
                                                      .replace("kind: ai", "kind: robot")),
        "papers/draft-paper/paper.md": paper_text(GOOD_FRONT.replace('"A good paper"', f'"{HIDDEN["draft-paper"]}"')
                                                  + "draft: true\n"),
    }


def build_fixture(root: Path, base_url: str = BASE_URL, extra_config: str = "") -> Path:
    """Build the fixture journal into `root/site` and return that folder."""
    files = journal_files()
    files["mirror.toml"] = str(files["mirror.toml"]) + extra_config
    write_journal(root, files)
    result = run(root, jobs=1, base_url=base_url)
    assert result.exit_code == EXIT_HELD_BACK, [d.format() for d in result.diagnostics]
    assert result.published == PUBLISHED and result.held_back == ("held-back-paper",)
    return root / "site"


def tool(name: str) -> str:
    """The path of a validator that scripts/install-test-tools.sh installs; a clear failure without it."""
    found = shutil.which(name)
    if not found:
        pytest.fail(f"`{name}` is not installed: run `bash scripts/install-test-tools.sh` (the README's test command does)")
    return found


def node_file(relative: str) -> Path:
    path = NODE / relative
    if not path.is_file():
        pytest.fail(f"node_modules/{relative} is missing: run `bash scripts/install-test-tools.sh`")
    return path


def run_tool(*command: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout, check=False)


def html_pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))
