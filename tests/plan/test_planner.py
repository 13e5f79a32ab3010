"""reconciler.plan.planner: (Manifest, State) -> Plan; purchase, update, release, unchanged."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import StateError, UnsafePlanError
from reconciler.model import (
    Account,
    Action,
    ActionKind,
    Change,
    Flow,
    Manifest,
    NumberSpec,
    Plan,
    State,
)
from reconciler.plan.planner import changed_fields, make_plan
from tests.support.project import LINEAGE, sms_url, state_entry, voice_url

FLOWS = {"ivr": Flow("ivr", "123456"), "sms": Flow("sms", "223344"), "sales": Flow("sales", "7")}


def spec(number: str, **fields: Any) -> NumberSpec:
    return NumberSpec(number=number, written=number, index=0, **fields)


def manifest(*specs: NumberSpec, sid: str = "acme1") -> Manifest:
    return Manifest(
        path="numbers.yaml",
        sha256="ab" * 32,
        account=Account(sid=sid, region="mumbai"),
        flows=dict(FLOWS),
        numbers={s.number: s for s in specs},
    )


def state(numbers: dict[str, dict[str, Any]] | None = None, sid: str | None = "acme1") -> State:
    return State("numbers.state.json", LINEAGE, 7, sid, dict(numbers or {}))


def flow(name: str | None, app_id: str | None, url: str | None) -> dict[str, Any]:
    return {"flow": name, "app_id": app_id, "url": url}


def test_nothing_wanted_and_nothing_held_is_no_plan() -> None:
    plan = make_plan(manifest(), state())
    assert plan.actions == ()
    assert not plan.has_changes
    assert plan.counts() == {
        "purchase": 0,
        "update": 0,
        "quarantine": 0,
        "release": 0,
        "unchanged": 0,
    }


def test_a_new_number_is_purchased_with_its_settings() -> None:
    wanted = spec(
        "+918030240001", friendly_name="Support", voice_flow="ivr", sms_flow="sms", protect=True
    )
    plan = make_plan(manifest(wanted), state())
    assert plan.actions == (
        Action(
            ActionKind.PURCHASE,
            "+918030240001",
            name="Support",
            changes=(
                Change("friendly_name", None, "Support"),
                Change("voice_flow", None, flow("ivr", "123456", voice_url(123456))),
                Change("sms_flow", None, flow("sms", "223344", sms_url(223344))),
                Change("protect", None, True),
            ),
            params={
                "FriendlyName": "Support",
                "VoiceUrl": voice_url(123456),
                "SMSUrl": sms_url(223344),
            },
            protect=True,
        ),
    )
    assert plan.counts() == {
        "purchase": 1,
        "update": 0,
        "quarantine": 0,
        "release": 0,
        "unchanged": 0,
    }


def test_a_bare_purchase_sends_no_settings() -> None:
    [action] = make_plan(manifest(spec("+918030240001")), state()).actions
    assert (action.kind, action.params, action.changes, action.sid) == (
        ActionKind.PURCHASE,
        {},
        (),
        None,
    )


def test_a_number_as_wanted_is_unchanged() -> None:
    held = state_entry(
        "+918030240001",
        friendly_name="Support",
        voice_url=voice_url(123456),
        sms_url=sms_url(223344),
    )
    wanted = spec("+918030240001", friendly_name="Support", voice_flow="ivr", sms_flow="sms")
    plan = make_plan(manifest(wanted), state({"+918030240001": held}))
    assert plan.actions == ()
    assert plan.counts()["unchanged"] == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://my.exotel.in/acme1/exoml/start_voice/123456",
        "https://my.exotel.com/exoml/start/123456",
        "http://my.exotel.com/acme1/exoml/start_voice/123456",
        "https://my.exotel.com/acme1/exoml/start_voice/123456/",
    ],
)
def test_flow_urls_of_the_same_app_id_are_no_change(url: str) -> None:
    held = state_entry("+918030240001", voice_url=url, sms_url=url.replace("123456", "223344"))
    wanted = spec("+918030240001", voice_flow="ivr", sms_flow="sms")
    plan = make_plan(manifest(wanted), state({"+918030240001": held}))
    assert plan.actions == ()
    assert plan.unchanged == 1


def test_an_update_sends_only_the_changed_fields() -> None:
    held = state_entry(
        "+918030240003",
        friendly_name="Old name",
        voice_url=voice_url(123456),
        sms_url=sms_url(1),
    )
    wanted = spec("+918030240003", friendly_name="New name", voice_flow="ivr", sms_flow="sms")
    [action] = make_plan(manifest(wanted), state({"+918030240003": held})).actions
    assert action == Action(
        ActionKind.UPDATE,
        "+918030240003",
        name="New name",
        changes=(
            Change("friendly_name", "Old name", "New name"),
            Change("sms_flow", flow(None, "1", sms_url(1)), flow("sms", "223344", sms_url(223344))),
        ),
        params={"FriendlyName": "New name", "SMSUrl": sms_url(223344)},
        sid="sid918030240003",
    )


@pytest.mark.parametrize(
    ("held", "wanted", "change", "params"),
    [
        (
            {"friendly_name": "Old"},
            {"friendly_name": "New"},
            Change("friendly_name", "Old", "New"),
            {"FriendlyName": "New"},
        ),
        (
            {"friendly_name": None},
            {"friendly_name": "New"},
            Change("friendly_name", None, "New"),
            {"FriendlyName": "New"},
        ),
        (
            {"voice_url": voice_url(7)},
            {"voice_flow": "ivr"},
            Change(
                "voice_flow",
                flow("sales", "7", voice_url(7)),
                flow("ivr", "123456", voice_url(123456)),
            ),
            {"VoiceUrl": voice_url(123456)},
        ),
        (
            {"voice_url": None},
            {"voice_flow": "ivr"},
            Change("voice_flow", flow(None, None, None), flow("ivr", "123456", voice_url(123456))),
            {"VoiceUrl": voice_url(123456)},
        ),
        (
            {"voice_url": "https://example.com/hooks/123456"},
            {"voice_flow": "ivr"},
            Change(
                "voice_flow",
                flow(None, None, "https://example.com/hooks/123456"),
                flow("ivr", "123456", voice_url(123456)),
            ),
            {"VoiceUrl": voice_url(123456)},
        ),
        (
            {"sms_url": "https://my.exotel.com/exoml/start/7"},
            {"sms_flow": "sms"},
            Change(
                "sms_flow",
                flow("sales", "7", "https://my.exotel.com/exoml/start/7"),
                flow("sms", "223344", sms_url(223344)),
            ),
            {"SMSUrl": sms_url(223344)},
        ),
        ({"protect": False}, {"protect": True}, Change("protect", False, True), {}),
        ({"protect": True}, {"protect": False}, Change("protect", True, False), {}),
    ],
)
def test_each_field_that_differs_is_one_change(
    held: dict[str, Any], wanted: dict[str, Any], change: Change, params: dict[str, str]
) -> None:
    entry = state_entry("+918030240003", **held)
    [action] = make_plan(
        manifest(spec("+918030240003", **wanted)), state({"+918030240003": entry})
    ).actions
    assert action.kind is ActionKind.UPDATE
    assert action.changes == (change,)
    assert action.params == params
    assert action.sid == "sid918030240003"


def test_a_protect_only_update_needs_no_api_call() -> None:
    entry = state_entry("+918030240001")
    [action] = make_plan(
        manifest(spec("+918030240001", protect=True)), state({"+918030240001": entry})
    ).actions
    assert action.protect is True
    assert not action.needs_api


@pytest.mark.parametrize("held", [{"friendly_name": "Dashboard name"}, {"voice_url": "x"}])
def test_attributes_left_out_of_the_manifest_are_not_managed(held: dict[str, Any]) -> None:
    entry = state_entry("+918030240001", **held)
    plan = make_plan(manifest(spec("+918030240001")), state({"+918030240001": entry}))
    assert plan.actions == ()


def test_a_number_only_in_the_state_is_released_with_its_rental() -> None:
    entry = state_entry("+918030240009", friendly_name="Old desk", rental_price="499.000000")
    [action] = make_plan(manifest(), state({"+918030240009": entry})).actions
    assert action == Action(
        ActionKind.RELEASE,
        "+918030240009",
        name="Old desk",
        sid="sid918030240009",
        rental_price="499.000000",
        currency="INR",
    )


def test_a_release_without_a_known_rental_still_releases() -> None:
    entry = {"phone_number": "+918030240009"}
    [action] = make_plan(manifest(), state({"+918030240009": entry})).actions
    assert (action.kind, action.rental_price, action.currency, action.sid) == (
        ActionKind.RELEASE,
        None,
        None,
        None,
    )


def test_releasing_a_protected_number_is_an_error_naming_it() -> None:
    held = {
        "+918030240001": state_entry("+918030240001", protect=True),
        "+918030240002": state_entry("+918030240002", protect=False),
        "+918030240009": state_entry("+918030240009", protect=True),
    }
    with pytest.raises(UnsafePlanError) as raised:
        make_plan(manifest(spec("+918030240002")), state(held))
    message = str(raised.value)
    assert message.startswith(
        "numbers.yaml no longer lists protected number(s) +918030240001, +918030240009, "
        "so the plan would release them."
    )
    assert "set protect: false" in message
    assert "+918030240002" not in message


def test_unprotecting_then_removing_is_allowed() -> None:
    entry = state_entry("+918030240001", protect=False)
    [action] = make_plan(manifest(), state({"+918030240001": entry})).actions
    assert action.kind is ActionKind.RELEASE


def test_a_state_of_another_account_is_refused() -> None:
    with pytest.raises(StateError) as raised:
        make_plan(manifest(sid="acme1"), state(sid="other9"))
    assert str(raised.value) == (
        "numbers.state.json belongs to account 'other9', but numbers.yaml describes account "
        "'acme1': pass that account's state with --state"
    )


def test_a_state_without_an_account_is_accepted() -> None:
    assert make_plan(manifest(spec("+918030240001")), state(sid=None)).has_changes


def test_actions_are_ordered_purchase_update_release_then_by_number() -> None:
    held = {
        "+918030240005": state_entry("+918030240005", friendly_name="a"),
        "+918030240002": state_entry("+918030240002", friendly_name="a"),
        "+918030240009": state_entry("+918030240009"),
        "+918030240001": state_entry("+918030240001"),
        "+918030240007": state_entry("+918030240007", friendly_name="same"),
    }
    wanted = manifest(
        spec("+918030240008"),
        spec("+918030240005", friendly_name="b"),
        spec("+918030240003"),
        spec("+918030240002", friendly_name="b"),
        spec("+918030240007", friendly_name="same"),
    )
    plan = make_plan(wanted, state(held))
    assert [(a.kind.value, a.number) for a in plan.actions] == [
        ("purchase", "+918030240003"),
        ("purchase", "+918030240008"),
        ("update", "+918030240002"),
        ("update", "+918030240005"),
        ("release", "+918030240001"),
        ("release", "+918030240009"),
    ]
    assert plan.counts() == {
        "purchase": 2,
        "update": 2,
        "quarantine": 0,
        "release": 2,
        "unchanged": 1,
    }


def test_the_plan_records_where_it_came_from() -> None:
    plan = make_plan(manifest(), state(), today=date(2026, 12, 1))
    assert plan == Plan(
        actions=(),
        account_sid="acme1",
        region="mumbai",
        manifest_path="numbers.yaml",
        manifest_sha256="ab" * 32,
        state_path="numbers.state.json",
        state_lineage=LINEAGE,
        state_serial=7,
        unchanged=0,
        made_on="2026-12-01",
    )


def test_planning_does_not_change_its_inputs() -> None:
    entry = state_entry("+918030240001", friendly_name="Old")
    before = state({"+918030240001": entry, "+918030240009": state_entry("+918030240009")})
    snapshot = {k: dict(v) for k, v in before.numbers.items()}
    make_plan(manifest(spec("+918030240001", friendly_name="New")), before)
    assert before.numbers == snapshot
    assert before.serial == 7


def test_an_empty_state_plans_every_number_for_purchase() -> None:
    empty = State("numbers.state.json")
    plan = make_plan(manifest(spec("+918030240001"), spec("+918030240002")), empty)
    assert [a.kind for a in plan.actions] == [ActionKind.PURCHASE, ActionKind.PURCHASE]
    assert (plan.state_lineage, plan.state_serial) == (None, 0)


_FLAT = st.one_of(st.none(), st.booleans(), st.integers(0, 3), st.sampled_from(["a", "b", "1"]))


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(st.tuples(_FLAT, _FLAT), min_size=1, max_size=4))
def test_changed_fields_agree_with_deepdiff(pairs: list[tuple[Any, Any]]) -> None:
    """The planner's have and want always hold the same keys, as here."""
    from deepdiff import DeepDiff

    names = ["friendly_name", "voice_flow", "sms_flow", "protect"]
    have = {names[i]: old for i, (old, _) in enumerate(pairs)}
    want = {names[i]: new for i, (_, new) in enumerate(pairs)}

    expected = {str(key) for key in DeepDiff(have, want).affected_root_keys}
    assert set(changed_fields(have, want)) == expected


def test_flow_urls_are_sent_on_the_manifests_flow_host() -> None:
    on_mumbai = dataclasses.replace(
        manifest(spec("+918030240001", voice_flow="ivr")),
        account=Account(sid="acme1", region="mumbai", flow_host="my.in.exotel.com"),
    )
    (action,) = make_plan(on_mumbai, state()).actions
    assert action.params["VoiceUrl"] == "http://my.in.exotel.com/acme1/exoml/start_voice/123456"


def test_flows_read_back_on_another_host_are_compared_by_app_id() -> None:
    on_mumbai = dataclasses.replace(
        manifest(spec("+918030240001", voice_flow="ivr")),
        account=Account(sid="acme1", region="mumbai", flow_host="my.in.exotel.com"),
    )
    entry = state_entry("+918030240001", voice_url="https://my.exotel.in/acme1/exoml/start/123456")
    assert make_plan(on_mumbai, state({"+918030240001": entry})).actions == ()


# --- ignore_changes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ignored", "changed"),
    [
        (frozenset(), ["friendly_name", "voice_flow"]),
        (frozenset({"friendly_name"}), ["voice_flow"]),
        (frozenset({"voice_flow"}), ["friendly_name"]),
        (frozenset({"friendly_name", "voice_flow"}), []),
    ],
)
def test_ignore_changes_keeps_the_plan_off_those_fields(
    ignored: frozenset[str], changed: list[str]
) -> None:
    number = "+918030240001"
    wanted = spec(number, friendly_name="New", voice_flow="ivr", ignore_changes=ignored)
    held = state_entry(number, friendly_name="By hand", voice_url=voice_url(7))
    plan = make_plan(manifest(wanted), state({number: held}))
    fields = [c.field for a in plan.actions for c in a.changes]
    assert fields == changed
    for action in plan.actions:  # only the fields not ignored are sent
        sent = {"friendly_name": "FriendlyName", "voice_flow": "VoiceUrl"}
        assert set(action.params) == {sent[f] for f in changed}
        assert action.name == ("By hand" if "friendly_name" in ignored else "New")


def test_ignore_changes_still_sets_the_fields_on_purchase() -> None:
    number = "+918030240001"
    wanted = spec(
        number,
        friendly_name="New",
        voice_flow="ivr",
        ignore_changes=frozenset({"friendly_name", "voice_flow"}),
    )
    (action,) = make_plan(manifest(wanted), state()).actions
    assert action.kind is ActionKind.PURCHASE
    assert set(action.params) == {"FriendlyName", "VoiceUrl"}
