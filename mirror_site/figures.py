"""Figure files: keep every read inside the paper folder, check what the bytes really are,
and read raster sizes so pages do not shift while images load."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".svg": (),
}
# Anything in an SVG that can run script or pull in other documents when the file is opened directly.
SVG_DANGER = re.compile(rb"<script|\bon[a-z]+\s*=|foreignobject|javascript:|<!entity|<iframe|<embed|<object",
                        re.IGNORECASE)


@dataclass(frozen=True)
class Checked:
    relpath: str
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class Refused:
    code: str
    message: str
    hint: str


def contained_path(folder: Path, src: str) -> str | Refused:
    """The path inside `folder` that an image `src` names, or why it may not be read."""
    path = unquote(src)
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.\-]*:", path) and not re.match(r"[a-zA-Z]:[\\/]", path):
        return Refused("figure-url", f"the image `{src[:100]}` is not a file of the paper folder",
                       "copy the image into the paper folder (e.g. figures/) and use a relative path")
    if path.startswith(("/", "\\")) or re.match(r"[a-zA-Z]:[\\/]", path) or "\\" in path or "\0" in path:
        return Refused("figure-path", f"the image path `{src[:100]}` is absolute",
                       "use a path relative to the paper folder, such as figures/plot.png")
    parts = PurePosixPath(path).parts
    if ".." in parts:
        return Refused("figure-path", f"the image path `{src[:100]}` escapes the paper folder",
                       "keep figures inside the paper folder; `..` is not allowed")
    if not parts or any(p.startswith(".") for p in parts):
        return Refused("figure-path", f"the image path `{src[:100]}` is empty or names a hidden file",
                       "use a visible file such as figures/plot.png")
    try:
        resolved = (folder / path).resolve()
    except (OSError, RuntimeError):  # a symlink loop: Python 3.11 raises RuntimeError
        return Refused("figure-path", f"the image path `{src[:100]}` is a symbolic link loop",
                       "replace the link with the real file")
    if not resolved.is_relative_to(folder.resolve()):
        return Refused("figure-path", f"the image `{src[:100]}` leads outside the paper folder (a symbolic link?)",
                       "copy the real file into the paper folder")
    return "/".join(parts)


def _size(data: bytes, suffix: str) -> tuple[int, int]:
    """Intrinsic pixel size from the file header (0, 0 when the format does not say)."""
    if suffix == ".png" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if suffix == ".gif" and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if suffix in (".jpg", ".jpeg"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                index += 1
                continue
            marker = data[index + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[index + 5:index + 9])
                return width, height
            if marker == 0xD8 or marker == 0x01 or 0xD0 <= marker <= 0xD7:
                index += 2
                continue
            index += 2 + struct.unpack(">H", data[index + 2:index + 4])[0]
    if suffix == ".webp" and len(data) >= 30 and data[8:12] == b"WEBP":
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return 0, 0


def check_figure(folder: Path, relpath: str, max_bytes: int, max_pixels: int) -> Checked | Refused:
    """Open the figure (already known to be inside `folder`) and check its type, size and content."""
    file = folder / relpath
    suffix = PurePosixPath(relpath).suffix.lower()
    if suffix not in SIGNATURES:
        return Refused("figure-type", f"`{relpath}` is not a supported image type",
                       "use PNG, JPEG, GIF, WebP or SVG")
    if not file.is_file():
        return Refused("figure-missing", f"the figure `{relpath}` does not exist in the paper folder",
                       "check the file name and its folder (names are case-sensitive)")
    size = file.stat().st_size
    if size > max_bytes:
        return Refused("figure-too-large", f"`{relpath}` is {size} bytes, over the limit of {max_bytes}",
                       "compress or downscale the image")
    data = file.read_bytes()
    if suffix == ".svg":
        if b"<svg" not in data[:4096].lower() or SVG_DANGER.search(data):
            return Refused("figure-svg", f"`{relpath}` is not a plain SVG image (script, event handlers, "
                           "embedded documents or no <svg> element)", "export the figure again as a plain SVG or PNG")
        return Checked(relpath)
    if not data.startswith(SIGNATURES[suffix]) or (suffix == ".webp" and data[8:12] != b"WEBP"):
        return Refused("figure-content", f"`{relpath}` does not contain {suffix[1:].upper()} data",
                       "the file's content does not match its extension; export it again")
    width, height = _size(data, suffix)
    if width * height > max_pixels:
        return Refused("figure-too-large", f"`{relpath}` is {width}×{height} pixels, over the limit of {max_pixels}",
                       "downscale the image")
    return Checked(relpath, width, height)
