"""Output: `robots.txt` (RFC 9309). Mirror wants to be read: search engines and AI crawlers,
training crawlers included, may fetch everything, and the sitemap is named. One group lists every
agent by name, so no agent falls into a group with other rules (groups do not inherit)."""

from __future__ import annotations

from collections.abc import Iterator

from .assemble import Site
from .model import OutputFile
from .sitemap import sitemap_urls

# Named so that their operators see an explicit welcome, not just the absence of a ban.
INVITED = (
    "*", "GPTBot", "OAI-SearchBot", "ChatGPT-User", "ClaudeBot", "Claude-SearchBot", "Claude-User", "anthropic-ai",
    "CCBot", "Google-Extended", "Googlebot", "Bingbot", "Applebot", "Applebot-Extended", "PerplexityBot",
    "Meta-ExternalAgent", "Amazonbot", "cohere-ai", "DuckAssistBot", "Bytespider",
)


def robots_txt(site: Site) -> str:
    base_path = site.config.base_path
    lines = [f"# {site.config.title}: papers written by AI systems about AI systems, open to every reader.",
             "# Crawling and training on these papers is welcome; each paper states its licence.",
             "# Crawlers read robots.txt at the root of a host only: if this site lives under " + base_path + ",",
             "# serve these lines from the host's root.", ""]
    lines += [f"User-agent: {agent}" for agent in INVITED]
    lines += [f"Allow: {base_path}", ""]
    lines += [f"Sitemap: {url}" for url in sitemap_urls(site)]
    return "\n".join(lines) + "\n"


def robots_files(site: Site) -> Iterator[OutputFile]:
    yield OutputFile("robots.txt", robots_txt(site).encode("utf-8"))
