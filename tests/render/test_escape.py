"""reconciler.render.escape: untrusted text shown on a terminal or in a PR comment."""

from __future__ import annotations

import pytest

from reconciler.render.escape import MAX_CELL, markdown, markdown_code, terminal, terminal_lines

#: Characters a terminal acts on, each with what exoplan shows instead.
CONTROLS = {
    "\x1b": "\\x1b",  # ESC: starts CSI/OSC sequences
    "\x9b": "\\x9b",  # C1 CSI: a whole escape sequence in one character
    "\x9d": "\\x9d",  # C1 OSC
    "\x07": "\\x07",  # BEL
    "\r": "\\x0d",
    "\n": "\\x0a",
    "\x7f": "\\x7f",
    "\x00": "\\x00",
    "\u202e": "\\u202e",  # right-to-left override
    "\u2028": "\\u2028",  # line separator
}


@pytest.mark.parametrize(("char", "shown"), sorted(CONTROLS.items()))
def test_terminal_shows_control_characters_as_escapes(char: str, shown: str) -> None:
    assert terminal(f"a{char}b") == f"a{shown}b"


def test_terminal_leaves_printable_text_alone() -> None:
    text = 'Support line "Bengaluru" — ₹499 / नमस्ते'
    assert terminal(text) is text


def test_an_escape_sequence_is_shown_not_run() -> None:
    assert terminal("\x1b]0;pwned\x07\x1b[2J") == "\\x1b]0;pwned\\x07\\x1b[2J"


def test_terminal_lines_keeps_the_messages_own_line_breaks() -> None:
    assert terminal_lines("one\x1b[31m\ntwo\r") == "one\\x1b[31m\ntwo\\x0d"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("<!-- x", "&lt;!-- x"),
        (
            "</details><img src=x onerror=alert(1)>",
            "&lt;/details&gt;&lt;img src=x onerror=alert(1)&gt;",
        ),
        ("a | b", "a \\| b"),
        ("line\nbreak\r", "line\\\\x0abreak\\\\x0d"),
        (
            "`code` *em* _em_ [link](x) ~~s~~ &amp;",
            "\\`code\\` \\*em\\* \\_em\\_ \\[link\\](x) \\~\\~s\\~\\~ &amp;amp;",
        ),
        ("ping @octocat and @acme/oncall", "ping @&#8203;octocat and @&#8203;acme/oncall"),
    ],
)
def test_markdown_makes_every_value_text(value: str, shown: str) -> None:
    assert markdown(value) == shown


def test_markdown_cuts_long_values() -> None:
    assert len(markdown("x" * 10_000)) == MAX_CELL
    assert markdown("x" * 10_000).endswith("…")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+918030240001", "`+918030240001`"),
        ("numbers_prod.yaml", "`numbers_prod.yaml`"),
        ("a`b", "<code>a\\`b</code>"),
        ("a|b", "<code>a\\|b</code>"),
        ("<!--", "<code>&lt;!--</code>"),
        (" x", "<code> x</code>"),
        ("", "<code></code>"),
    ],
)
def test_markdown_code_never_lets_a_value_out_of_its_code_span(value: str, shown: str) -> None:
    assert markdown_code(value) == shown
