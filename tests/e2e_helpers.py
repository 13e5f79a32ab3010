"""Helpers for the end-to-end and fault tests: a sandbox, the real command, its files.

Every test starts its own :class:`reconciler.sandbox.server.Sandbox` on a free 127.0.0.1 port
and runs ``python -m reconciler`` as a subprocess pointed at it, so the whole path
(argument parsing, lock, journal, HTTP, state file) is the one a user runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import requests

from reconciler.sandbox.server import Sandbox

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "acme1"
MANIFEST = "numbers.yaml"
STATE = "numbers.state.json"
JOURNAL = STATE + ".journal"
LOCK = STATE + ".lock"
FLOWS = {"support-ivr": 123456, "sales-queue": 234567, "order-sms": 223344}
#: Variables that must not leak into a run: credentials, colour and proxies (the
#: sandbox is on 127.0.0.1; a proxy from the environment must never see its traffic).
_SCRUBBED = {
    "EXOTEL_API_KEY",
    "EXOTEL_API_TOKEN",
    "EXOTEL_API_URL",
    "NO_COLOR",
    "FORCE_COLOR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
}
#: Fast API options for every command that talks to the sandbox.
FAST = ("--rate-limit", "0")


class Result(NamedTuple):
    """What one run of exoplan left behind."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def numbers(count: int, first: int = 1) -> list[str]:
    """``count`` distinct valid Indian landline numbers in E.164."""
    return [f"+9180302400{i:02d}" for i in range(first, first + count)]


def new_sandbox(**options: Any) -> Sandbox:
    """A sandbox serving the tests' account on a free 127.0.0.1 port (not started)."""
    return Sandbox("127.0.0.1", 0, account_sid=ACCOUNT, **options)


def env_for(sandbox: Sandbox) -> dict[str, str]:
    """The environment for a run against ``sandbox``: its URL and credentials only."""
    env = {key: value for key, value in os.environ.items() if key.upper() not in _SCRUBBED}
    paths = [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(sandbox.env())
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args]


def exoplan(sandbox: Sandbox, cwd: Path, *args: str, timeout: float = 60) -> Result:
    """Run ``exoplan ARGS`` in ``cwd`` against ``sandbox`` and wait for it."""
    done = subprocess.run(
        command(*args),
        cwd=cwd,
        env=env_for(sandbox),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def start_exoplan(sandbox: Sandbox, cwd: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``exoplan ARGS`` in ``cwd`` without waiting; the caller reaps it."""
    return subprocess.Popen(
        command(*args),
        cwd=cwd,
        env=env_for(sandbox),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> Result:
    """Wait for a started run; kills it if it takes longer than ``timeout``."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise AssertionError(f"exoplan did not finish in {timeout}s:\n{stdout}\n{stderr}") from None
    return Result(process.returncode, stdout, stderr)


def apply(sandbox: Sandbox, cwd: Path, *args: str, timeout: float = 60) -> Result:
    """``exoplan apply --auto-approve --rate-limit 0 ARGS``."""
    return exoplan(sandbox, cwd, "apply", "--auto-approve", *FAST, *args, timeout=timeout)


def manifest_text(entries: Iterable[str | Mapping[str, Any]], sid: str = ACCOUNT) -> str:
    """A version 1 manifest of ``entries``: E.164 strings or {number, friendly_name, ...}."""
    lines = [
        "version: 1",
        "account:",
        f"  sid: {sid}",
        "  region: mumbai",
        "flows:",
    ]
    for name, app_id in FLOWS.items():
        lines += [f"  {name}:", f"    app_id: {app_id}"]
    items = list(entries)
    lines.append("numbers:" if items else "numbers: []")
    for entry in items:
        fields = {"number": entry} if isinstance(entry, str) else dict(entry)
        lines.append(f"  - number: {json.dumps(fields.pop('number'))}")
        for key, value in fields.items():
            lines.append(f"    {key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def write_manifest(folder: Path, entries: Iterable[str | Mapping[str, Any]]) -> Path:
    path = folder / MANIFEST
    path.write_text(manifest_text(entries), encoding="utf-8")
    return path


def read_state(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / STATE).read_text(encoding="utf-8"))
    return data


def owned_sids(sandbox: Sandbox) -> dict[str, str]:
    """E.164 -> ExoPhone sid of every number the sandbox account owns."""
    return {record["phone_number"]: record["sid"] for record in sandbox.owned()}


def assert_bought_once(sandbox: Sandbox, wanted: Sequence[str]) -> None:
    """Every wanted number was bought exactly once, and nothing else was bought."""
    purchases = sandbox.purchases
    assert dict(purchases) == dict.fromkeys(wanted, 1), purchases


def assert_state_complete(folder: Path, sandbox: Sandbox, wanted: Sequence[str]) -> None:
    """The state lists exactly ``wanted``, each with the sid the account has for it;
    no journal and no lock are left behind."""
    state = read_state(folder)
    live = owned_sids(sandbox)
    assert sorted(state["numbers"]) == sorted(wanted)
    for number in wanted:
        entry = state["numbers"][number]
        assert entry["sid"] == live[number], number
        assert entry["phone_number"] == number
    assert not (folder / JOURNAL).exists()
    assert not (folder / LOCK).exists()


def wait_for(predicate: Callable[[], bool], timeout: float = 20, poll: float = 0.005) -> None:
    """Poll ``predicate`` until it holds; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(poll)


def outside(sandbox: Sandbox, method: str, number: str, **form: str) -> requests.Response:
    """Change ``number`` on the account behind exoplan's back, as the dashboard would."""
    sid = owned_sids(sandbox)[number]
    url = f"{sandbox.url}/v2_beta/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{sid}"
    with requests.Session() as session:
        session.trust_env = False  # straight to 127.0.0.1, never through a proxy
        response = session.request(
            method, url, data=form or None, auth=(sandbox.api_key, sandbox.api_token), timeout=10
        )
    assert response.ok, response.text
    return response
