"""reconciler.cli.signals: a first Ctrl-C says at once what is happening, on its own line."""

from __future__ import annotations

import os
import signal

from reconciler.apply.executor import Stop
from reconciler.cli.signals import GracefulStop


def test_a_first_ctrl_c_says_what_it_waits_for_and_how_to_abandon_it() -> None:
    said: list[str] = []
    stop = Stop()
    for _ in range(3):
        stop.count_in_flight(+1)
    with GracefulStop(stop, said.append) as graceful:
        os.kill(os.getpid(), signal.SIGINT)
    assert stop.is_set() and graceful.exit_code == 130
    assert said == [
        "Ctrl-C (SIGINT): stopping: starting no new request; waiting for 3 requests in "
        "flight, then saving the state; Ctrl-C again to abandon them."
    ]


def test_one_request_in_flight_is_one_request() -> None:
    said: list[str] = []
    stop = Stop()
    stop.count_in_flight(+1)
    with GracefulStop(stop, said.append):
        os.kill(os.getpid(), signal.SIGTERM)
    assert "waiting for 1 request in flight" in said[0]
    assert said[0].endswith("send it again to abandon them.")
