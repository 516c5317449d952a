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


def site_url(base_url: str, relpath: str) -> str:
    """The absolute URL of a file of the site, from its path relative to the output root."""
    return base_url + relpath


def tag_uri(base_url: str, authority: str, year: str, relpath: str) -> str:
    """A permanent `tag:` id (RFC 4151) for something published at `relpath`.

    `authority` (`host,YYYY`, from mirror.toml) pins ids for ever; without it the base URL's host and
    `year` (from the paper, never the build clock) stand in, so ids survive rebuilds and new papers.
    """
    host_and_path = base_url.split("://", 1)[1]
    host, _, path = host_and_path.partition("/")
    if authority:  # the journal owns the authority: ids no longer depend on where it is hosted
        return f"tag:{authority}:{relpath}"
    return f"tag:{host.split(':')[0].lower()},{year}:{path}{relpath}"
