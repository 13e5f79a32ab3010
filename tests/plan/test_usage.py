"""The usage guard's decisions: month-sized windows newest first, the search that
stops at the first call, the refusal and its ways out, and what the plan says."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone

import pytest

from reconciler.errors import ApiStatusError, UnsafePlanError
from reconciler.model import Action, ActionKind, Plan, Usage
from reconciler.plan import usage

NOW = datetime(2026, 12, 6, 12, 30, 15, 999, tzinfo=timezone.utc)
GONE, OTHER = "+918030240002", "+918030240003"


def plan(*actions: Action, days: int = 30, ignore: tuple[str, ...] = ()) -> Plan:
    return Plan(
        actions,
        "acme1",
        "mumbai",
        "m.yaml",
        "0" * 64,
        "s.json",
        "L",
        1,
        min_idle_days=days,
        ignore_usage=ignore,
    )


def release(number: str = GONE, found: Usage | None = None) -> Action:
    return Action(ActionKind.RELEASE, number, sid="S", usage=found)


@pytest.mark.parametrize(("days", "count"), [(1, 1), (2, 1), (30, 1), (31, 2), (90, 3), (180, 6)])
def test_windows_are_month_sized_newest_first_and_cover_the_days(days: int, count: int) -> None:
    ranges = usage.windows(NOW, days)
    assert len(ranges) == count
    assert ranges[0][1] == NOW.replace(microsecond=0) + usage.AHEAD
    assert ranges[-1][0] == NOW.replace(microsecond=0) - timedelta(days=days)
    for start, end in ranges:
        assert start < end and end - start <= timedelta(days=31)
    for newer, older in zip(ranges, ranges[1:], strict=False):
        assert older[1] == newer[0]  # contiguous: no gap between two ranges


def test_the_search_stops_at_the_first_month_with_a_call() -> None:
    asked: list[tuple[datetime, datetime]] = []

    def count(number: str, start: datetime, end: datetime) -> tuple[int, str | None]:
        asked.append((start, end))
        return (4, "2026-09-20 08:00:00") if len(asked) == 2 else (0, None)

    assert usage.usage_of(GONE, 90, count, NOW) == Usage(4, "2026-09-20 08:00:00", 60)
    assert len(asked) == 2


def test_an_idle_number_asks_every_month_once() -> None:
    asked: list[str] = []
    found = usage.usage_of(GONE, 90, lambda n, s, e: asked.append(n) or (0, None), NOW)
    assert found == Usage(0, None, 90) and asked == [GONE] * 3


def test_an_error_is_kept_as_the_reason() -> None:
    def count(number: str, start: datetime, end: datetime) -> tuple[int, str | None]:
        raise ApiStatusError("Forbidden", method="GET", path="/v1/Accounts/a/Calls", status=403)

    found = usage.usage_of(GONE, 30, count, NOW)
    assert found.calls is None and found.error and "HTTP 403" in found.error


def test_check_asks_only_releases_not_ignored_and_only_with_the_guard_on() -> None:
    update = Action(ActionKind.UPDATE, OTHER, params={"FriendlyName": "x"})
    asked: list[str] = []

    def count(number: str, start: datetime, end: datetime) -> tuple[int, str | None]:
        asked.append(number)
        return 0, None

    checked = usage.check(plan(release(), release(OTHER), update, ignore=(OTHER,)), count, NOW)
    assert asked == [GONE]
    assert [a.usage for a in checked.actions] == [Usage(0, None, 30), None, None]
    usage.check(plan(release(), days=0), count, NOW)
    assert asked == [GONE]


def test_check_idle_refuses_a_called_number_with_the_ways_out() -> None:
    called = release(found=Usage(12, "2026-12-01 10:48:00", 30))
    with pytest.raises(UnsafePlanError) as caught:
        usage.check_idle(plan(called, release(OTHER, Usage(0, None, 30))))
    message = str(caught.value)
    assert f"{GONE}: 12 calls in 30 days, last 2026-12-01 10:48:00" in message
    assert f"--ignore-usage {GONE}" in message and OTHER not in message
    assert "Wait until it has had no calls for 30 days" in message
    assert "keep it (put it back in the manifest)" in message


@pytest.mark.parametrize(
    "found", [None, Usage(None, None, 30, error="GET /v1/Accounts/a/Calls HTTP 500: down")]
)
def test_check_idle_fails_closed(found: Usage | None) -> None:
    with pytest.raises(UnsafePlanError, match=re.escape(GONE)):
        usage.check_idle(plan(release(found=found)))


def test_check_idle_passes_idle_ignored_and_unguarded_releases() -> None:
    usage.check_idle(plan(release(found=Usage(0, None, 30))))
    usage.check_idle(plan(release(), ignore=(GONE,)))
    usage.check_idle(plan(release(), days=0))


@pytest.mark.parametrize(
    ("found", "days", "ignore", "said"),
    [
        (None, 30, (), "calls in the last 30 days are checked at apply"),
        (None, 0, (), "usage not checked (releases.min_idle_days: 0)"),
        (None, 30, (GONE,), "usage not checked (--ignore-usage)"),
        (Usage(0, None, 30), 30, (), "no calls in 30 days"),
        (
            Usage(1, "2026-12-01 10:48:00", 30),
            30,
            (),
            "1 call in 30 days, last 2026-12-01 10:48:00",
        ),
        (Usage(None, None, 30, error="boom"), 30, (), "calls could not be checked (boom)"),
    ],
)
def test_describe(found: Usage | None, days: int, ignore: tuple[str, ...], said: str) -> None:
    action = release(found=found)
    assert usage.describe(plan(action, days=days, ignore=ignore), action).startswith(said)


def test_ignored_numbers_are_normalised_and_a_non_number_is_refused() -> None:
    def normalise(text: str) -> str | None:
        return {"08030240002": GONE, GONE: GONE}.get(text)

    assert usage.ignored(["08030240002", GONE], normalise) == (GONE,)
    with pytest.raises(ValueError, match="nope"):
        usage.ignored(["nope"], normalise)


def test_a_plan_keeps_its_usage_through_a_saved_plan() -> None:
    from reconciler.plan.planfile import plan_from_data, plan_to_data

    saved = plan(release(found=Usage(2, "2026-12-01 10:48:00", 30)), ignore=(OTHER,), days=90)
    again = plan_from_data(plan_to_data(saved))
    assert again.actions[0].usage == saved.actions[0].usage
    assert (again.min_idle_days, again.ignore_usage) == (90, (OTHER,))
    assert (
        plan_to_data(dataclasses.replace(saved, actions=(release(),)))["actions"][0]["usage"]
        is None
    )


@pytest.mark.parametrize(
    "found",
    [None, Usage(0, None, 30), Usage(3, "2026-12-01 10:48:00", 30), Usage(None, None, 30, "no")],
)
def test_a_plan_with_usage_is_valid_against_the_plan_schema(found: Usage | None) -> None:
    from jsonschema import Draft202012Validator

    from reconciler.manifest.schema import schema
    from reconciler.plan.planfile import plan_to_data

    data = plan_to_data(plan(release(found=found), ignore=(OTHER,)))
    assert not list(Draft202012Validator(schema("plan")).iter_errors(data))
