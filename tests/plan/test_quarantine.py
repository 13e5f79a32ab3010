"""Release safety in the planner: quarantine, restore, mass-change thresholds, scope."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler.errors import UnsafePlanError, UsageError
from reconciler.manifest.schema import schema
from reconciler.model import (
    Account,
    ActionKind,
    Flow,
    Manifest,
    NumberSpec,
    ReleasePolicy,
    SafetyLimits,
    State,
)
from reconciler.plan import safety, scope
from reconciler.plan.planfile import plan_from_data, plan_to_data
from reconciler.plan.planner import make_plan
from tests.support.project import LINEAGE, number, sms_url, state_entry, voice_url

FLOWS = {"ivr": Flow("ivr", "123456"), "retired": Flow("retired", "999")}
TODAY = date(2026, 11, 27)
POLICY = ReleasePolicy("retired", 14)


def spec(e164: str, **fields: Any) -> NumberSpec:
    return NumberSpec(number=e164, written=e164, index=0, **fields)


def manifest(
    *specs: NumberSpec,
    releases: ReleasePolicy | None = POLICY,
    limits: SafetyLimits | None = None,
) -> Manifest:
    return Manifest(
        "numbers.yaml",
        "ab" * 32,
        Account("acme1", "mumbai"),
        dict(FLOWS),
        {s.number: s for s in specs},
        releases,
        limits or SafetyLimits(),
    )


def state(*entries: dict[str, Any]) -> State:
    return State("s.json", LINEAGE, 7, "acme1", {e["phone_number"]: e for e in entries})


def held(index: int, **fields: Any) -> dict[str, Any]:
    return state_entry(number(index), voice_url=voice_url(123456), **fields)


def test_a_removed_number_is_quarantined_not_released() -> None:
    entry = held(2, sms_url=sms_url(123456), friendly_name="Old line")
    plan = make_plan(manifest(spec(number(1))), state(held(1), entry), today=TODAY)
    (action,) = plan.actions
    assert action.kind is ActionKind.QUARANTINE and action.number == number(2)
    assert action.params == {
        "VoiceUrl": "http://my.exotel.com/acme1/exoml/start_voice/999",
        "SMSUrl": "http://my.exotel.com/acme1/exoml/start_sms/999",
    }
    assert action.release_after == "2026-12-11"
    assert action.marks == {
        "quarantined_at": "2026-11-27",
        "quarantine_previous": {"voice_url": voice_url(123456), "sms_url": sms_url(123456)},
    }
    assert plan.counts()["quarantine"] == 1 and plan.counts()["release"] == 0


def test_sms_is_left_alone_when_the_number_had_no_sms_flow() -> None:
    plan = make_plan(manifest(), state(held(2)), today=TODAY)
    assert set(plan.actions[0].params) == {"VoiceUrl"}


@pytest.mark.parametrize(
    ("today", "kind"),
    [(date(2026, 12, 10), None), (date(2026, 12, 11), ActionKind.RELEASE)],
    ids=["a day early: waiting", "on the date: released"],
)
def test_a_quarantined_number_waits_then_is_released(today: date, kind: ActionKind | None) -> None:
    entry = held(2, quarantined_at="2026-11-27")
    plan = make_plan(manifest(), state(entry), today=today)
    if kind is None:
        assert plan.actions == ()
        (waiting,) = plan.waiting
        assert (waiting.number, waiting.since, waiting.release_after) == (
            number(2),
            "2026-11-27",
            "2026-12-11",
        )
    else:
        assert [a.kind for a in plan.actions] == [kind] and plan.waiting == ()


def test_without_a_releases_block_a_removed_number_is_released() -> None:
    plan = make_plan(manifest(releases=None), state(held(2)), today=TODAY)
    assert [a.kind for a in plan.actions] == [ActionKind.RELEASE]


def test_a_number_back_in_the_manifest_is_restored() -> None:
    previous = {"voice_url": voice_url(123456), "sms_url": sms_url(7)}
    entry = state_entry(
        number(2),
        voice_url=voice_url(999),
        sms_url=sms_url(999),
        quarantined_at="2026-11-01",
        quarantine_previous=previous,
    )
    plan = make_plan(manifest(spec(number(2), voice_flow="ivr")), state(entry), today=TODAY)
    (action,) = plan.actions
    assert action.kind is ActionKind.UPDATE
    # The managed voice flow comes from the manifest; the unmanaged SMS flow is put back.
    assert action.params == {
        "SMSUrl": sms_url(7),
        "VoiceUrl": "http://my.exotel.com/acme1/exoml/start_voice/123456",
    }
    assert action.marks == {"quarantined_at": None, "quarantine_previous": None}
    assert action.changes[0].field == "quarantine"


def test_a_protected_number_is_never_quarantined() -> None:
    with pytest.raises(UnsafePlanError, match="protected"):
        make_plan(manifest(), state(held(2, protect=True)), today=TODAY)


def managed(count: int) -> State:
    return state(*(held(i) for i in range(1, count + 1)))


@pytest.mark.parametrize(
    ("removed", "breached"), [(3, False), (4, True)], ids=["30% allowed", "40% refused"]
)
def test_the_release_threshold_counts_quarantines(removed: int, breached: bool) -> None:
    kept = [spec(number(i)) for i in range(removed + 1, 11)]
    plan = make_plan(manifest(*kept), managed(10), today=TODAY)
    assert bool(plan.breaches) is breached
    if breached:
        (breach,) = plan.breaches
        assert (breach.kind, breach.count, breach.managed, breach.limit) == ("release", 4, 10, 30)
        with pytest.raises(UnsafePlanError, match="4 of 10 managed numbers \\(40%\\)"):
            safety.check_mass_change(plan, allow=False)
        safety.check_mass_change(plan, allow=True)


def test_the_update_threshold_and_its_manifest_limit() -> None:
    renamed = [spec(number(i), friendly_name="New") for i in range(1, 6)]
    kept = [spec(number(i)) for i in range(6, 11)]
    limits = SafetyLimits(max_update_percent=50)
    assert make_plan(manifest(*renamed, *kept, limits=limits), managed(10)).breaches == ()
    (breach,) = make_plan(manifest(*renamed, *kept), managed(10)).breaches
    assert (breach.kind, breach.count) == ("update", 5)


def test_no_threshold_below_ten_managed_numbers() -> None:
    assert make_plan(manifest(), managed(9), today=TODAY).breaches == ()


def test_a_partial_plan_keeps_only_its_targets() -> None:
    wanted = manifest(spec(number(1)), spec(number(3), friendly_name="New"))
    current = state(held(2), held(3))
    full = make_plan(wanted, current, today=TODAY)
    assert {a.number for a in full.actions} == {number(1), number(2), number(3)}
    targets = scope.resolve("--target", ["08030240003"], wanted, current)
    partial = scope.restrict(full, wanted, current, targets, ())
    assert [a.number for a in partial.actions] == [number(3)]
    assert partial.scope is not None
    assert (partial.scope.selected, partial.scope.total) == (1, 3)
    excludes = scope.resolve("--exclude", [number(2)], wanted, current)
    rest = scope.restrict(full, wanted, current, (), excludes)
    assert {a.number for a in rest.actions} == {number(1), number(3)}


def test_an_unknown_target_names_the_flag() -> None:
    with pytest.raises(UsageError, match="--target \\+918030240009: .* neither in numbers.yaml"):
        scope.resolve("--target", ["+918030240009"], manifest(), state(held(1)))
    with pytest.raises(UsageError, match="--exclude 12: "):
        scope.resolve("--exclude", ["12"], manifest(), state())


def test_a_partial_plan_counts_thresholds_on_what_it_does() -> None:
    kept = [spec(number(i)) for i in range(5, 11)]
    full = make_plan(manifest(*kept), managed(10), today=TODAY)
    assert full.breaches  # 4 of 10 leave
    partial = scope.restrict(full, manifest(*kept), managed(10), (number(1),), ())
    assert partial.breaches == ()


def test_plan_files_and_schemas_describe_release_safety() -> None:
    kept = [spec(number(i)) for i in range(7, 11)]
    entries = [held(i) for i in range(1, 11)]
    entries[4] = held(5, quarantined_at="2026-11-20", quarantine_previous={"voice_url": None})
    current = state(*entries)
    full = make_plan(manifest(*kept), current, today=TODAY)
    plan = scope.restrict(full, manifest(*kept), current, (), (number(1),))
    assert plan.waiting and plan.breaches and plan.scope
    data = plan_to_data(plan)
    Draft202012Validator(schema("plan")).validate(data)
    assert plan_from_data(json.loads(json.dumps(data))) == plan
    saved = {"format": "exoplan-state", "version": 1, "lineage": LINEAGE, "serial": 7}
    Draft202012Validator(schema("state")).validate({**saved, "numbers": current.numbers})
