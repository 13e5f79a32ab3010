"""A request that never left: a refused connection, a name that does not resolve, a
connect timeout. Nothing reached Exotel, so a change is refused (failed, nothing
changed), never an unknown outcome that blocks the next commands until the account can
be listed. A read timeout or a reset after sending stays unknown."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
)

from reconciler.errors import ApiNotConnected, ApiOutcomeUnknown
from reconciler.exotel import retry
from reconciler.exotel.client import Credentials, ExotelClient
from tests.support.project import JOURNAL, STATE, number, read_state, snapshot, write_manifest
from tests.support.run import FAST, exoplan

BASE = "https://api.in.exotel.com"
ROOT = BASE + "/v2_beta/Accounts/acme1/IncomingPhoneNumbers"
WANTED, KEPT = number(41), number(42)


def never_sent() -> dict[str, Exception]:
    """What requests raises when no connection was made, as urllib3 reports the cause."""
    refused = NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")  # type: ignore[arg-type]
    unresolved = NameResolutionError("api.in.exotel.com", None, socket.gaierror(-2, "unknown"))  # type: ignore[arg-type]
    timeout = ConnectTimeoutError(None, "Connection to api.in.exotel.com timed out")
    return {
        "refused": requests.ConnectionError(MaxRetryError(None, ROOT, refused)),  # type: ignore[arg-type]
        "dns": requests.ConnectionError(MaxRetryError(None, ROOT, unresolved)),  # type: ignore[arg-type]
        "connect-timeout": requests.ConnectTimeout(MaxRetryError(None, ROOT, timeout)),  # type: ignore[arg-type]
    }


def maybe_sent() -> dict[str, Exception]:
    """What requests raises when the request may have reached Exotel."""
    reset = ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    return {
        "read-timeout": requests.ReadTimeout("Read timed out. (read timeout=30)"),
        "reset": requests.ConnectionError(reset),
        "bare": requests.ConnectionError("Connection reset by peer"),
    }


CHANGES: dict[str, tuple[str, str, Callable[[ExotelClient], Any]]] = {
    "purchase": ("POST", ROOT, lambda c: c.purchase(WANTED, {})),
    "update": ("PUT", f"{ROOT}/PN1", lambda c: c.update("PN1", {"FriendlyName": "x"})),
    "release": ("DELETE", f"{ROOT}/PN1", lambda c: c.release("PN1")),
}


def client() -> ExotelClient:
    options: dict[str, Any] = {"rate_limit": 0, "read_rate_limit": 0, "max_retries": 2}
    return ExotelClient("acme1", BASE, Credentials("k", "t"), sleep=lambda _: None, **options)


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("cause", never_sent())
@responses.activate
def test_a_change_that_never_left_is_refused_not_unknown(change: str, cause: str) -> None:
    method, url, call = CHANGES[change]
    responses.add(method, url, body=never_sent()[cause])
    with pytest.raises(ApiNotConnected) as raised:
        call(client())
    assert not retry.outcome_unknown(raised.value)
    assert "nothing was sent" in str(raised.value)
    assert len(responses.calls) == 3  # nothing reached Exotel: safe to try again, even a POST


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("cause", maybe_sent())
@responses.activate
def test_a_change_that_may_have_left_stays_unknown(change: str, cause: str) -> None:
    method, url, call = CHANGES[change]
    responses.add(method, url, body=maybe_sent()[cause])
    with pytest.raises(ApiOutcomeUnknown):
        call(client())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow  # the client retries the connection before it gives up
def test_apply_against_a_refused_connection_fails_and_blocks_nothing(tmp_path: Path) -> None:
    write_manifest(tmp_path, [WANTED])
    env = {
        "EXOTEL_API_URL": f"http://127.0.0.1:{closed_port()}",
        "EXOTEL_API_KEY": "key-0123456789",
        "EXOTEL_API_TOKEN": "token-0123456789",
    }
    applied = exoplan(None, tmp_path, "apply", "--auto-approve", *FAST, env=env)
    assert applied.code == 1, applied.output
    assert f"purchase {WANTED} (failed)" in applied.output
    assert "outcome unknown" not in applied.output and "could not be told" not in applied.output
    assert "nothing was sent" in applied.output and "Traceback" not in applied.stderr
    assert not (tmp_path / JOURNAL).exists()
    before = snapshot(tmp_path)
    planned = exoplan(None, tmp_path, "plan", env=env)
    assert planned.code == 0 and "interrupted apply" not in planned.output
    assert f"+ purchase {WANTED}" in planned.stdout
    assert snapshot(tmp_path) == before
    assert not (tmp_path / STATE).exists() or read_state(tmp_path)["numbers"] == {}
