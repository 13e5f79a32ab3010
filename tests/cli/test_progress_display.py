"""The live progress display as a person sees it: apply in a pseudo-terminal of a given
width, against a sandbox that makes it wait for the rate limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.server import Sandbox
from tests.support.project import ACCOUNT, number, write_manifest
from tests.support.run import FAST, plain, run_on_terminal

#: Cursor movements and colours rich draws with; what is left is what the eye reads.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTH = 45


@pytest.fixture
def tight() -> Iterator[Sandbox]:
    """A sandbox allowing 2 requests in any 2 seconds: the third waits (429, Retry-After)."""
    with Sandbox(account_sid=ACCOUNT, rate_limit=2, window_seconds=2.0) as sandbox:
        yield sandbox


def screen_lines(raw: str) -> list[str]:
    """Each stretch of text the terminal draws on one row, between line moves."""
    return [part for part in re.split(r"[\r\n]|\x1b\[[0-9]*[ABEFGK]", raw) if part]


@pytest.mark.slow
def test_a_rate_limit_wait_is_shown_and_every_line_fits_the_width(
    tmp_path: Path, tight: Sandbox
) -> None:
    write_manifest(tmp_path, [number(i) for i in range(1, 5)])
    result = run_on_terminal(
        tmp_path,
        "apply",
        "--auto-approve",
        *FAST,
        sandbox=tight,
        terminal=("stdout",),
        columns=WIDTH,
        timeout=60,
    )
    shown = plain(result.stdout)
    assert result.code == 0, shown + result.stderr
    # The wait is shown: Exotel's 429, or the pace exoplan keeps to what the sandbox
    # advertises, whichever comes first (the reason itself may not fit the width).
    assert re.search(r"waiting \d+s", _CONTROL.sub("", result.stdout)), shown
    assert re.search(r"\[\d/4\] (· )?\d:\d\d", shown), shown
    drawn = _CONTROL.sub("", result.stdout)
    display = drawn[drawn.index("rate limit is set.") + 18 : drawn.index("Apply finished")]
    assert [line for line in screen_lines(display) if len(line) > WIDTH] == []
    for i in range(1, 5):  # each number's result and sid stay in the scrollback
        assert re.search(rf"purchase \+?{number(i)[1:]}: ?\n?purchased", shown), shown
    assert "Apply finished: 4 purchased" in shown
