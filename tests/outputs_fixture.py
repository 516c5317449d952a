"""Plugin of the machine-output tests (`pytest_plugins = ["outputs_fixture"]`): the fixture journal,
built once per session (tests/machine_outputs.py says what it holds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from machine_outputs import build_fixture


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site of the fixture journal. Tests read it and never change it."""
    return build_fixture(tmp_path_factory.mktemp("outputs") / "journal")
