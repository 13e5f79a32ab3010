"""Shared helpers for the apply tests: actions, manifests, the sandbox, terminals, secrets."""

from __future__ import annotations

import base64
import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from conftest import Result, exoplan_env

from reconciler.model import Action, ActionKind
from reconciler.sandbox.server import Sandbox

ACCOUNT = "acme1"
FLOWS = {"support-ivr": 123456, "sales-ivr": 223344, "order-sms": 323232}
STATE = "numbers.state.json"
JOURNAL = STATE + ".journal"
LOCK = STATE + ".lock"
COLLECTION = f"/v2_beta/Accounts/{ACCOUNT}/IncomingPhoneNumbers"
#: Apply without client-side pacing: the sandbox is local and the tests want speed.
APPLY = ("apply", "--rate-limit", "0")
PROMPT = "Only 'yes' will be accepted: "
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def number(index: int) -> str:
    """The ``index``-th test number, +918030240001 and on."""
    return f"+9180302400{index:02d}"


def action(
    kind: ActionKind | str,
    phone: str = "+918030240001",
    *,
    params: Mapping[str, str] | None = None,
    sid: str | None = None,
    protect: bool = False,
) -> Action:
    """An Action as the planner would make it (only the fields apply uses)."""
    return Action(ActionKind(kind), phone, params=dict(params or {}), sid=sid, protect=protect)


# -- files ------------------------------------------------------------------------------


def write_numbers(
    folder: Path,
    entries: Iterable[str | Mapping[str, Any]],
    *,
    flows: Mapping[str, int] = FLOWS,
    name: str = "numbers.yaml",
) -> Path:
    """A manifest for the sandbox's account; an entry is a number or a mapping."""
    numbers = [{"number": e} if isinstance(e, str) else dict(e) for e in entries]
    data = {
        "version": 1,
        "account": {"sid": ACCOUNT, "region": "mumbai"},
        "flows": {flow: {"app_id": app_id} for flow, app_id in flows.items()},
        "numbers": numbers,
    }
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def read_state(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / STATE).read_text(encoding="utf-8"))
    return data


def journal_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_journal(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def plain(text: str) -> str:
    """Terminal output without colours and with plain newlines."""
    return _ANSI.sub("", text).replace("\r\n", "\n")


# -- the sandbox -----------------------------------------------------------------------


def sandbox_env(sandbox: Sandbox, **overrides: str) -> dict[str, str]:
    """The variables that point exoplan at ``sandbox``, never through a proxy."""
    env = {**sandbox.env(), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    env.update(overrides)
    return env


def buy_directly(sandbox: Sandbox, phone: str, **form: str) -> dict[str, Any]:
    """Buy ``phone`` as another client would (not through exoplan); Exotel's answer."""
    with requests.Session() as session:
        session.trust_env = False
        response = session.post(
            sandbox.url + COLLECTION,
            data={"PhoneNumber": phone, **form},
            auth=(sandbox.api_key, sandbox.api_token),
            timeout=10,
        )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def owned_sids(sandbox: Sandbox) -> dict[str, str]:
    return {record["phone_number"]: record["sid"] for record in sandbox.owned()}


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout:g}s")
        time.sleep(0.005)


# -- secrets ---------------------------------------------------------------------------


def secrets_of(sandbox: Sandbox) -> dict[str, str]:
    pair = f"{sandbox.api_key}:{sandbox.api_token}".encode()
    return {
        "EXOTEL_API_KEY": sandbox.api_key,
        "EXOTEL_API_TOKEN": sandbox.api_token,
        "base64(key:token)": base64.b64encode(pair).decode(),
    }


def assert_no_secrets(sandbox: Sandbox, folder: Path, outputs: Iterable[str]) -> list[Path]:
    """No credential in any of ``outputs`` nor in any file under ``folder``; the files."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    texts = {f"output {i}": text for i, text in enumerate(outputs)}
    texts.update(
        {str(p.relative_to(folder)): p.read_bytes().decode("utf-8", "replace") for p in files}
    )
    for what, secret in secrets_of(sandbox).items():
        leaks = [name for name, text in texts.items() if secret in text]
        assert not leaks, f"{what} leaked into {leaks}"
    return files


# -- a terminal ------------------------------------------------------------------------


def run_on_terminal(
    args: Iterable[str], cwd: Path, env: Mapping[str, str], answer: str, timeout: float = 30.0
) -> Result:
    """Run exoplan with a pseudo-terminal as stdin, stdout and stderr, typing ``answer``
    once it asks; ``stdout`` of the result is everything the terminal showed (raw)."""
    try:
        master, slave = os.openpty()
    except (AttributeError, OSError) as exc:
        pytest.skip(f"no pseudo-terminal on this platform: {exc}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=exoplan_env(env),
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    try:
        shown = _converse(master, answer, time.monotonic() + timeout)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    return Result(proc.returncode, shown.decode("utf-8", "replace"), "")


def _converse(master: int, answer: str, deadline: float) -> bytes:
    shown, answered = b"", False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child has closed the terminal
            break
        if not chunk:
            break
        shown += chunk
        if not answered and PROMPT.encode() in shown:
            os.write(master, answer.encode())
            answered = True
    return shown
