"""``exoplan sandbox``: the local Exotel stand-in in the foreground, stopped with Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.cli import sandbox as sandbox_module
from reconciler.cli.sandbox import serve
from tests.support.project import ACCOUNT, number
from tests.support.run import exoplan
from tests.support.sandbox import COLLECTION, fetch

BASE = COLLECTION
NUMBER = number(1)


def test_serve_prints_url_exports_and_account_then_stops_on_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_path = tmp_path / "seed.json"
    seed_path.write_text(json.dumps([{"phone_number": NUMBER}]), encoding="utf-8")
    out = io.StringIO()
    seen: dict[str, Any] = {}

    def pretend_ctrl_c() -> None:
        exports = dict(re.findall(r"export (EXOTEL_API_\w+)=(\S+)", out.getvalue()))
        seen.update(exports)
        url = exports["EXOTEL_API_URL"]
        auth = (exports["EXOTEL_API_KEY"], exports["EXOTEL_API_TOKEN"])
        seen["listed"] = fetch("GET", url + BASE, auth=auth).json()
        raise KeyboardInterrupt

    monkeypatch.setattr(sandbox_module, "_wait_for_interrupt", pretend_ctrl_c)
    assert serve("127.0.0.1", 0, 0, 0, 0.0, seed_path, ACCOUNT, out=out) == 0
    text = out.getvalue()
    assert f"listening on {seen['EXOTEL_API_URL']}" in text
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", seen["EXOTEL_API_URL"])
    assert set(seen) == {"EXOTEL_API_URL", "EXOTEL_API_KEY", "EXOTEL_API_TOKEN", "listed"}
    assert f"sid: {ACCOUNT}" in text and "stopped" in text
    assert [r["phone_number"] for r in seen["listed"]["incoming_phone_numbers"]] == [NUMBER]
    with pytest.raises(requests.ConnectionError):
        fetch("GET", seen["EXOTEL_API_URL"] + BASE, timeout=2)


def test_serve_reports_an_unreadable_seed_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    missing = tmp_path / "missing.json"
    assert serve("127.0.0.1", 0, 0, 0, 0.0, missing, ACCOUNT, out=out) == 1
    assert "error:" in capsys.readouterr().err
    assert out.getvalue() == ""


def test_the_sandbox_flags_reach_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.cli.main import main

    seen: dict[str, Any] = {}

    def pretend_ctrl_c() -> None:
        raise KeyboardInterrupt

    def capture(sandbox: Any, out: Any, given: Any) -> None:
        seen.update(
            writes=sandbox.rate_limit,
            reads=sandbox.read_rate_limit,
            drops=sandbox._faults.drop_rate,
        )
        sandbox.stop()

    monkeypatch.setattr(sandbox_module, "_run_until_interrupted", capture)
    monkeypatch.setattr(sandbox_module, "_wait_for_interrupt", pretend_ctrl_c)
    argv = ["sandbox", "--port", "0", "--rate-limit", "50/min", "--read-rate-limit", "300"]
    assert main([*argv, "--drop-rate", "0.05"]) == 0
    assert seen == {"writes": 50, "reads": 300, "drops": 0.05}


def test_a_busy_port_fails_in_the_foreground_naming_it(tmp_path: Path) -> None:
    seed_path = tmp_path / "seed.json"
    seed_path.write_text(json.dumps([{"phone_number": NUMBER}]), encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for extra in ([], ["--background"]):
            argv = ["sandbox", "--port", port, "--seed", str(seed_path), *extra]
            result = exoplan(None, tmp_path, *argv, timeout=30)
            assert (result.code, result.stdout) == (1, ""), result.output
            assert result.stderr == (
                f"error: --port {port}: 127.0.0.1:{port} is already in use: stop what "
                "listens there or pick another port (--port 0 picks a free one)\n"
            )


def test_background_returns_once_listening_and_names_the_process(tmp_path: Path) -> None:
    result = exoplan(None, tmp_path, "sandbox", "--port", "0", "--background", timeout=30)
    assert result.code == 0, result.output
    pid = int(re.findall(r"kill (\d+)", result.stdout)[0])
    try:
        exports = dict(re.findall(r"export (EXOTEL_API_\w+)=(\S+)", result.stdout))
        auth = (exports["EXOTEL_API_KEY"], exports["EXOTEL_API_TOKEN"])
        listed = fetch("GET", exports["EXOTEL_API_URL"] + BASE, auth=auth, timeout=5).json()
        assert listed["incoming_phone_numbers"] == []
    finally:
        os.kill(pid, signal.SIGTERM)


def test_the_calls_flag_loads_call_records_the_sandbox_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.cli.main import main

    calls = tmp_path / "calls.json"
    record = {"phone_number": NUMBER, "date_created": "2026-11-05 10:00:00"}
    calls.write_text(json.dumps([record]), encoding="utf-8")
    seen: dict[str, Any] = {}

    def capture(sandbox: Any, out: Any, given: Any) -> None:
        seen["page"] = sandbox.calls.page(
            "DateCreated=gte:2026-11-01 00:00:00;lte:2026-11-30 00:00:00"
        )
        sandbox.stop()

    monkeypatch.setattr(sandbox_module, "_run_until_interrupted", capture)
    assert main(["sandbox", "--port", "0", "--calls", str(calls)]) == 0
    assert seen["page"]["Metadata"]["Total"] == 1
    assert seen["page"]["Calls"][0]["DateCreated"] == "2026-11-05 10:00:00"
    calls.write_text(json.dumps([{"phone_number": NUMBER}]), encoding="utf-8")
    assert main(["sandbox", "--port", "0", "--calls", str(calls)]) == 1
    assert "call record 0" in capsys.readouterr().err


def test_several_accounts_each_with_its_own_key_and_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.cli.main import main

    seen: dict[str, Any] = {}

    def pretend_ctrl_c() -> None:
        banner = capsys.readouterr().out
        url = re.findall(r"export EXOTEL_API_URL=(\S+)", banner)[0]
        seen["listed"] = "  acme1\n  beta2\n" in banner and "key-b" not in banner
        beta = "/v2_beta/Accounts/beta2/IncomingPhoneNumbers"
        seen["own"] = fetch("GET", url + beta, auth=("key-b", "token-b")).status_code
        seen["other"] = fetch("GET", url + beta, auth=("key-a", "token-a")).status_code
        seen["none"] = fetch("GET", url + beta, auth=("key-a", "token-b")).status_code
        raise KeyboardInterrupt

    monkeypatch.setattr(sandbox_module, "_wait_for_interrupt", pretend_ctrl_c)
    accounts = ["--account", "acme1:key-a:token-a", "--account", "beta2:key-b:token-b"]
    assert main(["sandbox", "--port", "0", *accounts]) == 0
    assert seen == {"listed": True, "own": 200, "other": 404, "none": 401}


@pytest.mark.parametrize("given", ["acme1", "acme1:key", "acme1::token", ":key:token"])
def test_an_account_that_is_not_sid_key_token_is_refused_without_echoing_it(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.cli.main import main

    assert main(["sandbox", "--port", "0", "--account", given]) == 1
    err = capsys.readouterr().err
    assert "--account expects SID:KEY:TOKEN" in err
    assert "token" not in err.replace("TOKEN", "") and "key" not in err.replace("KEY", "")
