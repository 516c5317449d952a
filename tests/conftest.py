"""Shared test helpers: journals are written inline as files, built for real, and inspected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mirror_site.build import BuildOptions, BuildResult, build

PROJECT = Path(__file__).resolve().parent.parent

GOOD_FRONT = """\
title: "A good paper"
authors:
  - name: "Probe Agent"
    kind: ai
    model: "agent-model-1"
date: 2026-01-15
abstract: "We probe something and find it."
"""


def paper_text(front: str = GOOD_FRONT, body: str = "# Introduction\n\nSome text.\n") -> str:
    return f"---\n{textwrap.dedent(front)}---\n{textwrap.dedent(body)}"


def write_journal(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create a journal folder from `{relative path: content}`."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def run(root: Path, out: Path | None = None, **options: object) -> BuildResult:
    return build(BuildOptions(root=root, out=out or root / "site", **options))  # type: ignore[arg-type]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes, for whole-site comparisons."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# A valid 3×2 PNG, written by hand so tests need no image library.
PNG_3x2 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000030000000208060000009d74661a0000000b49444154789c"
    "6360c00500001a0001bc3ce0410000000049454e44ae426082"
)


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "journal"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", help="rewrite tests/fixtures/golden-site")


def png(width: int, height: int, rgb: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    """A solid-colour PNG of the given size, built with zlib alone."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height, 9)) + chunk(b"IEND", b""))
