"""The sandbox the tests run exoplan against, and the account behind exoplan's back.

:func:`new_sandbox` is the one way to make one: the test account on a free 127.0.0.1
port, started with ``with``. What the checks here read is the sandbox's own record of
the account, never exoplan's.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import requests

from reconciler.sandbox.server import Sandbox
from tests.support.project import ACCOUNT, JOURNAL, LOCK, read_state

COLLECTION = f"/v2_beta/Accounts/{ACCOUNT}/IncomingPhoneNumbers"


def new_sandbox(seed: Iterable[dict[str, Any]] = (), **options: Any) -> Sandbox:
    """A sandbox of ``ACCOUNT`` on a free 127.0.0.1 port owning ``seed`` (Exotel's
    records, see ``records.record``); not started: use ``with``. ``options`` go to
    :class:`Sandbox` (latency_ms, rate_limit, api_key, ...)."""
    return Sandbox("127.0.0.1", 0, account_sid=ACCOUNT, seed=list(seed), **options)


def fetch(method: str, url: str, **kwargs: Any) -> requests.Response:
    """One HTTP request straight to ``url``, never through a proxy from the environment."""
    kwargs.setdefault("timeout", 5)
    with requests.Session() as session:
        session.trust_env = False
        return session.request(method, url, **kwargs)


def outside(sandbox: Sandbox, method: str, number: str, **form: str) -> dict[str, Any]:
    """Buy (POST), change (PUT) or release (DELETE) ``number`` as another client would,
    not through exoplan; returns what Exotel answered."""
    if method == "POST":
        url, form = sandbox.url + COLLECTION, {"PhoneNumber": number, **form}
    else:
        url = f"{sandbox.url}{COLLECTION}/{owned_sids(sandbox)[number]}"
    auth = (sandbox.api_key, sandbox.api_token)
    response = fetch(method, url, data=form or None, auth=auth, timeout=10)
    assert response.ok, response.text
    answer: dict[str, Any] = response.json() if response.content else {}
    return answer


def owned_sids(sandbox: Sandbox) -> dict[str, str]:
    """E.164 -> ExoPhone sid of every number the sandbox account owns."""
    return {record["phone_number"]: record["sid"] for record in sandbox.owned()}


def only_reads(sandbox: Sandbox) -> bool:
    """Everything exoplan asked the sandbox was a GET, and nothing was bought."""
    return all(method == "GET" for method, _, _ in sandbox.request_log) and not sandbox.purchases


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


# -- secrets ---------------------------------------------------------------------------


def secrets_of(sandbox: Sandbox) -> dict[str, str]:
    """The sandbox's credentials in every form that could leak: what -> the secret."""
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
