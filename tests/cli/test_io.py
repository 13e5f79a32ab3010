"""reconciler.cli.io.still_waiting: the commands that read the account (refresh, import,
export, drift, plan --refresh) say on stderr, without a terminal, what they wait for at
least every 30 s, as apply does.

On a fake clock: the client's pacing and the waiting lines share it, each pacing sleep
moves it, and the lines are looked for a second before each sleep ends, as the display's
thread would look while the client waits.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from reconciler.cli.main import main
from reconciler.exotel.client import ExotelClient
from reconciler.render import progress
from tests.support.clock import FakeTime
from tests.support.paging import account, pages_asked, project, serve
from tests.support.records import ONE

#: 6 reads a minute, at the 0.95 headroom every configured rate gets: 5.7/min.
SLOW = ("--rate-limit", "0", "--read-rate-limit", "6")
STILL = (
    "[reading account acme1] Still waiting: pacing reads to the rate limit (5.7/min), "
    "next request in 1s [30s elapsed]"
)


class Watched:
    """The fake clock, and every waiting display made on it."""

    def __init__(self) -> None:
        self.time = FakeTime()
        self.displays: list[progress.Progress] = []

    def sleep(self, seconds: float) -> None:
        self.time.now += max(0.0, seconds - 1.0)
        for display in self.displays:
            display.tick()
        self.time.now += min(seconds, 1.0)


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> Iterator[Watched]:
    watched = Watched()
    built = ExotelClient.__init__

    def client(self: ExotelClient, *args: Any, **options: Any) -> None:
        built(self, *args, **{**options, "clock": watched.time.clock, "sleep": watched.sleep})

    class Display(progress.Progress):
        def __init__(self, *args: Any, **options: Any) -> None:
            super().__init__(*args, **{**options, "clock": watched.time.clock})
            watched.displays.append(self)

        def start(self) -> None:
            """No thread: the fake sleeps look for silences."""

    monkeypatch.setattr(ExotelClient, "__init__", client)
    monkeypatch.setattr(progress, "Progress", Display)
    yield watched


@pytest.mark.parametrize(
    "command",
    [
        ["refresh"],
        ["import", ONE],
        ["export"],
        ["drift"],
        ["plan", "--refresh"],
        ["plan", "--refresh", "--format", "json"],
    ],
    ids=" ".join,
)
def test_reading_a_big_account_says_what_it_waits_for_every_30_seconds(
    api: responses.RequestsMock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    watched: Watched,
    command: list[str],
) -> None:
    serve(api, account())  # 5 pages: 4 waits of 10.5 s between them
    manifest = project(tmp_path)
    code = main([*command, "-f", str(manifest), *SLOW])
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    assert pages_asked(api) == [0, 1, 2, 3, 4]
    assert watched.time.now > 100.0 + 40.0
    assert [line for line in err.splitlines() if "Still" in line] == [STILL]
    assert "Still" not in out  # stdout may be a plan in JSON


def test_on_a_terminal_reading_prints_no_waiting_lines(
    api: responses.RequestsMock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    watched: Watched,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(api, account())
    manifest = project(tmp_path)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.delenv("TERM", raising=False)
    assert main(["refresh", "-f", str(manifest), *SLOW]) == 0
    assert watched.displays == []
    assert "Still" not in capsys.readouterr().err
