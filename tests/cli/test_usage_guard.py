"""The usage guard over real HTTP against the sandbox: a number still called is not
released; an idle one is, after one Calls request per month of window; errors and
malformed answers refuse; --ignore-usage; the window's size; quarantine ends; the plan."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.sandbox.server import Sandbox
from tests.support.inprocess import apply, exoplan
from tests.support.project import ACCOUNT, STATE, number, numbers
from tests.support.run import FAST
from tests.support.sandbox import new_sandbox

CALLS_PATH = f"/v1/Accounts/{ACCOUNT}/Calls"
KEPT, DROPPED = numbers(2)


def write(folder: Path, entries: list[str], **releases: Any) -> None:
    data: dict[str, Any] = {
        "version": 1,
        "account": {"sid": ACCOUNT, "region": "mumbai"},
        "flows": {"support-ivr": {"app_id": 123456}, "retired": {"app_id": 999}},
    }
    if releases:
        data["releases"] = releases
    data["numbers"] = [{"number": n, "voice_flow": "support-ivr"} for n in entries]
    (folder / "numbers.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def called(e164: str, days_ago: float, status: str = "completed") -> dict[str, str]:
    when = datetime.now(timezone.utc) - timedelta(days=days_ago)
    return {
        "phone_number": e164,
        "date_created": when.strftime("%Y-%m-%d %H:%M:%S"),
        "status": status,
        "direction": "inbound",
    }


def calls_asked(sandbox: Sandbox) -> int:
    return sum(1 for _, path, _ in sandbox.request_log if path == CALLS_PATH)


def bought(folder: Path, sandbox: Sandbox, **releases: Any) -> None:
    """Both numbers bought, then DROPPED left out of the manifest."""
    write(folder, [KEPT, DROPPED], **releases)
    assert apply(sandbox, folder).code == 0
    write(folder, [KEPT], **releases)


def owned(sandbox: Sandbox) -> set[str]:
    return {record["phone_number"] for record in sandbox.owned()}


def test_a_number_called_3_days_ago_is_not_released(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 3), called(DROPPED, 4)]) as sandbox:
        bought(tmp_path, sandbox)
        before = (tmp_path / STATE).read_bytes()
        result = apply(sandbox, tmp_path, "--allow-release")
        assert result.code == 1, result.output
        assert f"{DROPPED}: 2 calls in 30 days, last " in result.stderr
        assert f"re-run with --ignore-usage {DROPPED}" in result.stderr
        assert "keep it (put it back in the manifest)" in result.stderr
        assert DROPPED in owned(sandbox)
        assert not any(method == "DELETE" for method, _, _ in sandbox.request_log)
        assert (tmp_path / STATE).read_bytes() == before


def test_ignore_usage_releases_a_called_number_without_asking(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 3)]) as sandbox:
        bought(tmp_path, sandbox)
        result = apply(sandbox, tmp_path, "--allow-release", "--ignore-usage", "08030240002")
        assert result.code == 0, result.output
        assert "usage not checked (--ignore-usage)" in result.stdout
        assert DROPPED not in owned(sandbox)
        assert calls_asked(sandbox) == 0


def test_an_idle_number_is_released_after_exactly_one_calls_request(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 45), called(KEPT, 1)]) as sandbox:
        bought(tmp_path, sandbox)
        result = apply(sandbox, tmp_path, "--allow-release")
        assert result.code == 0, result.output
        assert "no calls in 30 days" in result.stdout
        assert DROPPED not in owned(sandbox)
        assert calls_asked(sandbox) == 1
        (asked,) = sandbox.calls.asked
        assert asked["PhoneNumber"].split(",") == [DROPPED, "08030240002"]
        assert asked["SortBy"] == "DateCreated:desc" and asked["PageSize"] == "1"


@pytest.mark.parametrize(
    ("status", "payload", "reason"),
    [
        (403, {"RestException": {"Status": 403, "Message": "Forbidden"}}, "may lack access"),
        (500, {"message": "Internal error"}, "HTTP 500"),
        (200, {"Metadata": {"Total": "many"}, "Calls": []}, "not a count"),
        (200, {"Calls": []}, "without Metadata"),
    ],
)
def test_an_error_or_malformed_answer_refuses_the_release(
    tmp_path: Path, status: int, payload: Any, reason: str
) -> None:
    with new_sandbox() as sandbox:
        bought(tmp_path, sandbox)
        sandbox.calls.answer_next(3, status, payload)
        result = apply(sandbox, tmp_path, "--allow-release")
        assert result.code == 1, result.output
        assert f"{DROPPED}: calls could not be checked" in result.stderr
        assert reason in result.stderr
        assert "Traceback" not in result.output
        assert DROPPED in owned(sandbox)


def test_min_idle_days_2_ignores_a_call_3_days_ago(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 3)]) as sandbox:
        bought(tmp_path, sandbox, min_idle_days=2)
        result = apply(sandbox, tmp_path, "--allow-release")
        assert result.code == 0, result.output
        assert "no calls in 2 days" in result.stdout
        assert DROPPED not in owned(sandbox)


def test_min_idle_days_0_asks_nothing(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 1)]) as sandbox:
        bought(tmp_path, sandbox, min_idle_days=0)
        result = apply(sandbox, tmp_path, "--allow-release")
        assert result.code == 0, result.output
        assert "usage not checked (releases.min_idle_days: 0)" in result.stdout
        assert calls_asked(sandbox) == 0
        assert DROPPED not in owned(sandbox)


def test_90_days_are_asked_in_month_sized_steps(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 100)]) as sandbox:
        bought(tmp_path, sandbox, min_idle_days=90)
        result = apply(sandbox, tmp_path, "--allow-release")
        assert result.code == 0, result.output
        ranges = [_range(asked["DateCreated"]) for asked in sandbox.calls.asked]
        assert len(ranges) == 3
        assert all(high - low <= timedelta(days=31) for low, high in ranges)
        assert [r[0] for r in ranges] == sorted((r[0] for r in ranges), reverse=True)
        assert ranges[1][1] == ranges[0][0] and ranges[2][1] == ranges[1][0]
        assert datetime.now(timezone.utc).replace(tzinfo=None) - ranges[2][0] >= timedelta(days=90)


def test_a_call_in_the_second_month_stops_the_search_there(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 40)]) as sandbox:
        bought(tmp_path, sandbox, min_idle_days=90)
        result = apply(sandbox, tmp_path, "--allow-release")
        assert result.code == 1, result.output
        assert f"{DROPPED}: 1 call in 60 days, last " in result.stderr
        assert calls_asked(sandbox) == 2


def _range(text: str) -> tuple[datetime, datetime]:
    low, high = text.removeprefix("gte:").split(";lte:")
    parse = lambda s: datetime.strptime(s, "%Y-%m-%d %H:%M:%S")  # noqa: E731
    return parse(low), parse(high)


def test_a_quarantined_number_still_called_is_kept_at_the_end_of_its_quarantine(
    tmp_path: Path,
) -> None:
    policy = {"quarantine_flow": "retired", "quarantine_days": 14}
    with new_sandbox(calls=[called(DROPPED, 2)]) as sandbox:
        bought(tmp_path, sandbox, **policy)
        assert apply(sandbox, tmp_path).code == 0  # quarantined: asks nothing yet
        assert calls_asked(sandbox) == 0
        _backdate(tmp_path, DROPPED, 15)
        result = apply(sandbox, tmp_path, "--allow-release")
        assert result.code == 1, result.output
        assert f"{DROPPED}: 1 call in 30 days" in result.stderr
        assert DROPPED in owned(sandbox)
        assert json.loads((tmp_path / STATE).read_text())["numbers"][DROPPED]["quarantined_at"]


def _backdate(folder: Path, e164: str, days: int) -> None:
    path = folder / STATE
    data = json.loads(path.read_text(encoding="utf-8"))
    since = datetime.now(timezone.utc).date() - timedelta(days=days)
    data["numbers"][e164]["quarantined_at"] = since.isoformat()
    path.write_text(json.dumps(data), encoding="utf-8")


def test_plan_refresh_json_carries_the_usage(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 3), called(DROPPED, 5)]) as sandbox:
        bought(tmp_path, sandbox)
        result = exoplan(sandbox, tmp_path, "plan", "--refresh", "--format", "json", *FAST)
        assert result.code == 0, result.output
        data = json.loads(result.stdout)
        (release,) = [a for a in data["actions"] if a["action"] == "release"]
        usage = release["usage"]
        assert usage["calls"] == 2 and usage["window_days"] == 30
        assert (
            usage["last_call"] == called(DROPPED, 3)["date_created"][:11] + usage["last_call"][11:]
        )
        assert data["min_idle_days"] == 30 and data["ignore_usage"] == []
        text = exoplan(sandbox, tmp_path, "plan", "--refresh", *FAST)
        assert "2 calls in 30 days, last " in text.stdout
        markdown = exoplan(sandbox, tmp_path, "plan", "--refresh", "--format", "markdown", *FAST)
        assert "| Calls |" in markdown.stdout and "2 calls in 30 days" in markdown.stdout


def test_an_offline_plan_says_the_check_runs_at_apply(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 3)]) as sandbox:
        bought(tmp_path, sandbox)
        result = exoplan(sandbox, tmp_path, "plan", "--format", "json")
        (release,) = [a for a in json.loads(result.stdout)["actions"] if a["action"] == "release"]
        assert release["usage"] is None
        text = exoplan(sandbox, tmp_path, "plan")
        assert "calls in the last 30 days are checked at apply" in text.stdout
        assert calls_asked(sandbox) == 0


def test_ignore_usage_is_recorded_in_a_saved_plan_and_shown(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 3)]) as sandbox:
        bought(tmp_path, sandbox)
        planned = exoplan(sandbox, tmp_path, "plan", "--ignore-usage", DROPPED, "--out", "p.json")
        assert planned.code == 0, planned.output
        assert "usage not checked (--ignore-usage)" in planned.stdout
        saved = json.loads((tmp_path / "p.json").read_text())
        assert saved["ignore_usage"] == [DROPPED]
        again = apply(sandbox, tmp_path, "p.json", "--ignore-usage", DROPPED)
        assert again.code == 1 and "cannot change a saved plan" in again.stderr
        result = apply(sandbox, tmp_path, "p.json", "--allow-release")
        assert result.code == 0, result.output
        assert DROPPED not in owned(sandbox) and calls_asked(sandbox) == 0


def test_a_saved_plan_without_ignore_usage_is_checked_at_apply(tmp_path: Path) -> None:
    with new_sandbox(calls=[called(DROPPED, 3)]) as sandbox:
        bought(tmp_path, sandbox)
        assert exoplan(sandbox, tmp_path, "plan", "--out", "p.json").code == 0
        result = apply(sandbox, tmp_path, "p.json", "--allow-release")
        assert result.code == 1 and f"{DROPPED}: 1 call in 30 days" in result.stderr


def test_ignore_usage_that_is_no_number_is_refused(tmp_path: Path) -> None:
    with new_sandbox() as sandbox:
        bought(tmp_path, sandbox)
        result = apply(sandbox, tmp_path, "--allow-release", "--ignore-usage", "call-me")
        assert result.code == 1
        assert "--ignore-usage 'call-me' is not a phone number" in result.stderr
        assert number(2) in owned(sandbox)


EVIL = "\x1b]0;owned\x07\x1b[2J\x9b31m\r\u202e"
HOSTILE = [
    (403, {"RestException": {"Status": 403, "Message": EVIL * 50, "Code": EVIL}}),
    (200, {"Metadata": {"Total": 10**30}, "Calls": []}),
    (200, {"Metadata": {"Total": True}, "Calls": []}),
    (200, {"Metadata": {"Total": 2.5}, "Calls": []}),
    (200, {"Metadata": {"Total": 1}, "Calls": {"Sid": EVIL}}),
    (200, {"Metadata": {"Total": 1}, "Calls": [{"DateCreated": EVIL}]}),
    (200, {"Metadata": {"Total": 1}, "Calls": [{"DateCreated": "2099-01-01 00:00:00"}]}),
    (200, {"Metadata": {"Total": 1}, "Calls": [{"DateCreated": ["2026-01-01"]}]}),
    (200, {"Metadata": {"Total": 0}, "Calls": [{"DateCreated": EVIL}]}),
    (200, {"Metadata": EVIL, "Calls": []}),
    (200, [EVIL]),
]


@pytest.mark.parametrize(("status", "payload"), HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_calls_answers_are_untrusted_input(
    tmp_path: Path, status: int, payload: Any
) -> None:
    with new_sandbox() as sandbox:
        bought(tmp_path, sandbox)
        sandbox.calls.answer_next(9, status, payload)
        outputs = [
            apply(sandbox, tmp_path, "--allow-release"),
            exoplan(sandbox, tmp_path, "plan", "--refresh", *FAST),
            exoplan(sandbox, tmp_path, "plan", "--refresh", "--format", "markdown", *FAST),
        ]
        assert outputs[0].code == 1, outputs[0].output
        assert f"{DROPPED}: calls could not be checked" in outputs[0].stderr
        assert DROPPED in owned(sandbox)
        for result in outputs:
            assert "Traceback" not in result.output
            assert all(ch.isprintable() or ch == "\n" for ch in result.output), result.output
        assert "could not be checked" in outputs[1].stdout
        assert "could not be checked" in outputs[2].stdout
        (row,) = [
            line for line in outputs[2].stdout.splitlines() if line.startswith(f"| `{DROPPED}")
        ]
        assert len(re.split(r"(?<!\\)\|", row.replace("\\\\", ""))) == 6, row  # 4 cells kept
