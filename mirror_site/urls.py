"""Every URL of the site is a pure function of the base path and a slug: rendering one paper
never needs the rest of the site, and URLs never change once published."""

from __future__ import annotations


def paper_dir(slug: str) -> str:
    """Output folder of a paper, relative to the site root."""
    return f"papers/{slug}/"


def paper_url(base_path: str, slug: str) -> str:
    return f"{base_path}{paper_dir(slug)}"


def absolute(base_url: str, base_path: str, url: str) -> str:
    """Turn a root-relative URL such as `/sub/papers/x/` into `https://host/sub/papers/x/`."""
    return base_url.rstrip("/").removesuffix(base_path.rstrip("/")) + url
