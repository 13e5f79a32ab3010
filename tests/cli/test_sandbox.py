"""``exoplan sandbox``: the local Exotel stand-in in the foreground, stopped with Ctrl-C."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.cli import sandbox as sandbox_module
from reconciler.cli.sandbox import serve
from tests.support.project import ACCOUNT, number
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
