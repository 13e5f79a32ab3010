"""Untrusted text made safe to show: one function for the terminal, one for Markdown.

Everything exoplan prints may hold what Exotel answered, what a file on disk says or
what a manifest names; none of it may steer the terminal or the pull-request page.

``terminal``       control characters (C0 including CR and LF, DEL, C1 such as CSI
                   U+009B, and the other unprintable ones: bidi overrides, line
                   separators) shown as Python-style escapes (``\\x1b``, ``\\u202e``)
``terminal_lines`` the same for a message of several lines, keeping its own newlines
``markdown``       a value as inert Markdown text for a table cell: escaped for the
                   terminal first, then HTML metacharacters as entities and Markdown's
                   emphasis, code, link and table punctuation with backslashes, so no
                   value can open a comment, close a ``<details>``, start a line, break
                   a table row or mention (and notify) a GitHub user or team
``markdown_code``  a value shown in code style: a plain code span when the value is
                   harmless, ``<code>`` with escaped text otherwise
"""

from __future__ import annotations

#: Characters a Markdown value must not carry as themselves.
_MARKDOWN = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\\": "\\\\",
    "|": "\\|",
    "`": "\\`",
    "*": "\\*",
    "_": "\\_",
    "[": "\\[",
    "]": "\\]",
    "~": "\\~",
    # A zero-width space after @: the page shows the name, but GitHub notifies nobody.
    "@": "@&#8203;",
}
_MARKDOWN_TABLE = str.maketrans(_MARKDOWN)
#: What a value shown as a plain code span must not hold (the rest is literal there).
_NOT_IN_CODE = frozenset("`|\\<>&")
#: The longest value a Markdown cell shows; the rest is cut with an ellipsis.
MAX_CELL = 300


def terminal(text: str) -> str:
    """``text`` with every unprintable character (space aside) shown as an escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def terminal_lines(text: str) -> str:
    """A message of several lines, each line escaped, its own line breaks kept."""
    return "\n".join(terminal(line) for line in text.split("\n"))


def markdown(text: str) -> str:
    """``text`` as inert Markdown for one table cell or line: never markup."""
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return terminal(text).translate(_MARKDOWN_TABLE)


def markdown_code(text: str) -> str:
    """``text`` in code style that no value can break out of."""
    plain = text.isprintable() and text.strip() == text and not _NOT_IN_CODE.intersection(text)
    if plain and 0 < len(text) <= MAX_CELL:
        return f"`{text}`"
    return f"<code>{markdown(text)}</code>"
