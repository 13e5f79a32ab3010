"""Reading Markdown the way a git host renders it: heading anchors and relative links."""

from __future__ import annotations

import re


def headings_slugs(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a markdown text (outside code fences)."""
    slugs, fenced = set(), False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#{1,6}\s+(.*)", line)):
            title = re.sub(r"[`*_]|\[([^]]*)\]\([^)]*\)", r"\1", match[1].strip())
            slugs.add(re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-"))
    return slugs


def relative_links(markdown: str) -> list[str]:
    without_code = re.sub(r"```.*?```", "", markdown, flags=re.S)
    targets = re.findall(r"\]\(([^)\s]+)\)", without_code)
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]
