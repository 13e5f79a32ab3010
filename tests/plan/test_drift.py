"""reconciler.plan.drift: detect, unmanaged, refreshed and fold_drift, on plain data."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from reconciler.model import (
    Account,
    Change,
    Criteria,
    Drift,
    Flow,
    Manifest,
    NumberSpec,
    PoolSpec,
    State,
)
from reconciler.plan.drift import (
    account_key,
    detect,
    flow_value,
    fold_drift,
    refreshed,
    report,
    unmanaged,
)
from tests.support.records import ONE, SPARE, TWO, adopted, described, live_url, record

LINEAGE = "0b7a3f1e-5c2d-4e8f-9a6b-1c2d3e4f5a6b"
MANIFEST = Manifest(
    path="numbers.yaml",
    sha256="0" * 64,
    account=Account("acme1"),
    flows={
        "support-ivr": Flow("support-ivr", "123456"),
        "order-sms": Flow("order-sms", "223344"),
        "sales-queue": Flow("sales-queue", "234567"),
    },
    numbers={},
)
SUPPORT = {"flow": "support-ivr", "app_id": "123456", "url": live_url(123456)}


def state_of(entries: dict[str, dict[str, Any]]) -> State:
    return State("numbers.state.json", LINEAGE, 7, "acme1", entries)


def described_state() -> State:
    return state_of(adopted(described().values()))


def owned_with(number: str, **fields: Any) -> dict[str, dict[str, Any]]:
    owned = described()
    owned[number] = {**owned[number], **fields}
    return owned


@pytest.mark.parametrize(
    ("fields", "changes"),
    [
        pytest.param(
            {"friendly_name": "Renamed in the dashboard"},
            (Change("friendly_name", "Support overflow", "Renamed in the dashboard"),),
            id="changed-name",
        ),
        pytest.param(
            {"voice_url": live_url(234567)},
            (
                Change(
                    "voice_flow",
                    SUPPORT,
                    {"flow": "sales-queue", "app_id": "234567", "url": live_url(234567)},
                ),
            ),
            id="changed-voice-flow",
        ),
        pytest.param(
            {"voice_url": live_url(777)},
            (Change("voice_flow", SUPPORT, {"flow": None, "app_id": "777", "url": live_url(777)}),),
            id="flow-the-manifest-does-not-name",
        ),
        pytest.param(
            {"voice_url": None},
            (Change("voice_flow", SUPPORT, None),),
            id="flow-cleared",
        ),
        pytest.param(
            {"sms_url": live_url(223344, "start_sms")},
            (
                Change(
                    "sms_flow",
                    None,
                    {
                        "flow": "order-sms",
                        "app_id": "223344",
                        "url": live_url(223344, "start_sms"),
                    },
                ),
            ),
            id="sms-flow-set",
        ),
        pytest.param(
            {"voice_url": "https://hooks.example.com/call"},
            (
                Change(
                    "voice_flow",
                    SUPPORT,
                    {"flow": None, "app_id": None, "url": "https://hooks.example.com/call"},
                ),
            ),
            id="url-without-app-id",
        ),
        pytest.param(
            {"friendly_name": "Other", "voice_url": live_url(234567)},
            (
                Change("friendly_name", "Support overflow", "Other"),
                Change(
                    "voice_flow",
                    SUPPORT,
                    {"flow": "sales-queue", "app_id": "234567", "url": live_url(234567)},
                ),
            ),
            id="name-and-flow",
        ),
    ],
)
def test_detect_reports_each_changed_field_before_and_after(
    fields: dict[str, Any], changes: tuple[Change, ...]
) -> None:
    owned = owned_with(TWO, **fields)
    assert detect(described_state(), owned, MANIFEST) == [Drift(TWO, changes, owned[TWO])]


def test_detect_reports_a_number_released_outside() -> None:
    owned = described()
    del owned[TWO]
    found = detect(described_state(), owned, MANIFEST)
    assert found == [Drift(TWO, (), None)]
    assert found[0].gone


def test_a_number_bought_outside_is_no_drift_but_unmanaged() -> None:
    owned = {**described(), SPARE: record(SPARE, friendly_name="Bought in the dashboard")}
    state = described_state()
    assert detect(state, owned, MANIFEST) == []
    assert unmanaged(state, owned) == [SPARE]


@pytest.mark.parametrize(
    "url",
    [
        "https://my.exotel.in/acme1/exoml/start_voice/123456",
        "https://my.exotel.com/exoml/start/123456",
        "http://my.exotel.com/acme1/exoml/start_voice/123456",
        "http://my.exotel.com/acme1/exoml/start_voice/123456/",
        "https://my.exotel.com/acme1/exoml/start_voice/123456?source=dashboard",
    ],
)
@pytest.mark.parametrize(
    "held",
    [
        "http://my.exotel.com/acme1/exoml/start_voice/123456",
        "https://my.exotel.in/acme1/exoml/start_voice/123456",
    ],
)
def test_other_spellings_of_the_same_flow_are_no_drift(url: str, held: str) -> None:
    state = state_of({TWO: {**described()[TWO], "voice_url": held}})
    owned = {TWO: {**described()[TWO], "voice_url": url}}
    assert detect(state, owned, MANIFEST) == []


def test_a_url_without_app_id_is_compared_as_a_string() -> None:
    hook = "https://hooks.example.com/call"
    state = state_of({TWO: {**described()[TWO], "voice_url": hook}})
    assert detect(state, {TWO: {**described()[TWO], "voice_url": hook}}, MANIFEST) == []
    moved = {TWO: {**described()[TWO], "voice_url": hook + "?v=2"}}
    assert [d.changes[0].field for d in detect(state, moved, MANIFEST)] == ["voice_flow"]


def test_fields_exotel_does_not_report_are_not_drift() -> None:
    bare = {ONE: {"sid": "sid0001", "phone_number": ONE}, TWO: {"sid": "sid0002"}}
    assert detect(described_state(), bare, MANIFEST) == []


def test_without_a_manifest_flows_are_shown_by_app_id_only() -> None:
    owned = owned_with(TWO, voice_url=live_url(234567))
    (found,) = detect(described_state(), owned, None)
    assert found.changes == (
        Change(
            "voice_flow",
            {"flow": None, "app_id": "123456", "url": live_url(123456)},
            {"flow": None, "app_id": "234567", "url": live_url(234567)},
        ),
    )


def test_detect_lists_drift_sorted_by_number() -> None:
    owned = owned_with(TWO, friendly_name="B")
    owned[ONE] = {**owned[ONE], "friendly_name": "A"}
    state = state_of(dict(reversed(list(adopted(described().values()).items()))))
    assert [d.number for d in detect(state, owned, MANIFEST)] == [ONE, TWO]


def test_nothing_changed_is_no_drift_and_nothing_unmanaged() -> None:
    state = described_state()
    assert detect(state, described(), MANIFEST) == []
    assert unmanaged(state, described()) == []


def test_unmanaged_is_sorted_and_ignores_managed_numbers() -> None:
    extra = ["+918030240099", "+918030240011", SPARE]
    owned = {**described(), **{n: record(n) for n in extra}}
    assert unmanaged(described_state(), owned) == sorted(extra)
    assert unmanaged(state_of({}), owned) == sorted([ONE, TWO, *extra])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (live_url(123456), SUPPORT),
        (
            "https://my.exotel.com/exoml/start/999",
            {"flow": None, "app_id": "999", "url": "https://my.exotel.com/exoml/start/999"},
        ),
        ("https://x.test/hook", {"flow": None, "app_id": None, "url": "https://x.test/hook"}),
    ],
)
def test_flow_value_shows_flows_as_plans_do(value: str | None, expected: Any) -> None:
    assert flow_value(value, {"123456": "support-ivr"}) == expected


def test_refreshed_takes_what_exotel_reports_and_keeps_protect() -> None:
    state = described_state()
    before = copy.deepcopy(state.numbers)
    owned = owned_with(ONE, friendly_name="Renamed", voice_url=live_url(234567))
    new = refreshed(state, owned)
    assert new.numbers[ONE] == {**owned[ONE], "protect": True}
    assert new.numbers[TWO] == {**owned[TWO], "protect": False}
    assert (new.path, new.lineage, new.serial, new.account_sid) == (
        state.path,
        state.lineage,
        state.serial,
        state.account_sid,
    )
    assert state.numbers == before  # a copy: the loaded state is left alone


def test_refreshed_drops_numbers_no_longer_owned_and_adds_none() -> None:
    owned = {ONE: described()[ONE], SPARE: record(SPARE)}
    assert list(refreshed(described_state(), owned).numbers) == [ONE]


def test_refreshed_keeps_the_e164_key_and_local_fields() -> None:
    state = state_of(
        {TWO: {"sid": "sid0002", "phone_number": TWO, "note": "kept", "protect": True}}
    )
    owned = {TWO: record(TWO, phone_number="08030240002", friendly_name="X")}
    entry = refreshed(state, owned).numbers[TWO]
    assert (entry["phone_number"], entry["note"], entry["protect"]) == (TWO, "kept", True)
    assert entry["friendly_name"] == "X"


@pytest.mark.parametrize(
    "fields",
    [
        {"friendly_name": "Renamed"},
        {"voice_url": live_url(234567)},
        {"voice_url": None, "sms_url": live_url(1, "start_sms")},
    ],
)
def test_a_refreshed_state_has_no_drift_left(fields: dict[str, Any]) -> None:
    owned = owned_with(TWO, **fields)
    assert detect(refreshed(described_state(), owned), owned, MANIFEST) == []


@pytest.mark.parametrize(
    "fields",
    [{"friendly_name": "Renamed"}, {"voice_url": live_url(234567)}, {"sms_url": None}],
)
def test_fold_drift_records_a_change_like_refresh(fields: dict[str, Any]) -> None:
    state = described_state()
    owned = owned_with(ONE, **fields)
    fold_drift(state, tuple(detect(state, owned, MANIFEST)))
    assert state.numbers == refreshed(described_state(), owned).numbers
    assert state.numbers[ONE]["protect"] is True


def test_fold_drift_forgets_a_number_released_outside() -> None:
    state = described_state()
    fold_drift(state, (Drift(TWO, (), None),))
    assert list(state.numbers) == [ONE]


def test_fold_drift_ignores_numbers_the_state_no_longer_has() -> None:
    state = state_of({ONE: adopted([described()[ONE]])[ONE]})
    before = copy.deepcopy(state.numbers)
    fold_drift(state, (Drift(TWO, (), None), Drift(SPARE, (), record(SPARE))))
    assert state.numbers == before


def test_fold_drift_of_nothing_changes_nothing() -> None:
    state = described_state()
    before = copy.deepcopy(state.numbers)
    fold_drift(state, ())
    assert state.numbers == before


# --- ignore_changes and the drift report ---------------------------------------------


def ignoring(number: str, fields: frozenset[str]) -> Manifest:
    spec = NumberSpec(number, number, 0, ignore_changes=fields)
    return dataclasses.replace(MANIFEST, numbers={number: spec})


def test_fields_under_ignore_changes_are_no_drift() -> None:
    owned = owned_with(TWO, friendly_name="Renamed", voice_url=live_url(234567))
    found = detect(described_state(), owned, ignoring(TWO, frozenset({"friendly_name"})))
    assert [(d.number, [c.field for c in d.changes]) for d in found] == [(TWO, ["voice_flow"])]
    both = frozenset({"friendly_name", "voice_flow"})
    assert detect(described_state(), owned, ignoring(TWO, both)) == []


def test_a_pool_members_drift_follows_its_pools_ignore_changes() -> None:
    pool = PoolSpec(
        "blr", 1, Criteria("IN", "Landline"), ignore_changes=frozenset({"friendly_name"})
    )
    state = described_state()
    state.numbers[TWO]["pool"] = "blr"
    manifest = dataclasses.replace(MANIFEST, pools={"blr": pool})
    assert detect(state, owned_with(TWO, friendly_name="Renamed"), manifest) == []


def test_report_lists_unmanaged_per_account_across_manifests() -> None:
    state = described_state()
    first = state_of({ONE: state.numbers[ONE]})
    second = state_of({TWO: state.numbers[TWO]})
    other = dataclasses.replace(
        MANIFEST, path="other.yaml", unmanaged_ignore=("+91803024000[0-8]",)
    )
    owned = {**described(), SPARE: record(SPARE), "+918030240005": record("+918030240005")}
    key = account_key(MANIFEST)
    found = report([(MANIFEST, first), (other, second)], {key: owned})
    assert [u.number for u in found.unmanaged] == [SPARE]
    assert found.ignored == 1
    assert found.has_drift and not found.failed


def test_a_release_exotel_still_lists_is_not_unmanaged() -> None:
    state = state_of({})
    state.releasing[SPARE] = {"sid": record(SPARE)["sid"]}
    owned = {SPARE: record(SPARE)}
    found = report([(MANIFEST, state)], {account_key(MANIFEST): owned})
    assert found.unmanaged == () and not found.has_drift
    owned = {SPARE: record(SPARE, sid="bought-again")}  # another sid: someone bought it again
    found = report([(MANIFEST, state)], {account_key(MANIFEST): owned})
    assert [u.number for u in found.unmanaged] == [SPARE]


def test_an_account_that_could_not_be_listed_fails_the_report() -> None:
    found = report([(MANIFEST, described_state())], {account_key(MANIFEST): "HTTP 401"})
    assert found.failed and not found.has_drift
    assert found.manifests[0].error == "HTTP 401"
