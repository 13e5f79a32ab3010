"""Pools in the planner: members managed like numbers, needs counted offline, candidates
pinned distinct and within budget, a lowered count, and the errors that name the pool."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import ExoplanError, ManifestError
from reconciler.manifest.load import load_manifest
from reconciler.model import (
    Account,
    ActionKind,
    Available,
    Criteria,
    Flow,
    Manifest,
    NumberSpec,
    PoolSpec,
    State,
)
from reconciler.plan import pools
from reconciler.plan.planner import make_plan
from tests.support.project import LINEAGE, number, state_entry

FLOWS = {"ivr": Flow("ivr", "123456")}
CRITERIA = Criteria("IN", "Landline", "KA")


def pool(count: int, **fields: Any) -> PoolSpec:
    return PoolSpec("blr", count, CRITERIA, friendly_name="Support {n}", voice_flow="ivr", **fields)


def manifest(*pools: PoolSpec) -> Manifest:
    return Manifest(
        "numbers.yaml",
        "ab" * 32,
        Account("acme1", "mumbai"),
        dict(FLOWS),
        {},
        pools={p.name: p for p in pools},
    )


def member(index: int, **fields: Any) -> dict[str, Any]:
    return state_entry(number(index), pool="blr", pool_index=index, **fields)


def state(*entries: dict[str, Any]) -> State:
    return State("s.json", LINEAGE, 3, "acme1", {e["phone_number"]: e for e in entries})


def offer(index: int, price: str = "499.000000") -> Available:
    return Available(number(index), "Landline", "KA", True, True, price, "INR")


def test_an_offline_plan_counts_what_a_pool_needs() -> None:
    plan = make_plan(manifest(pool(3)), state(member(1, friendly_name="Support 1")))
    assert [(n.pool, n.missing) for n in plan.needs] == [("blr", 2)]
    assert plan.has_changes
    # The member it has is managed like a listed number: its flow is set.
    (update,) = plan.actions
    assert update.kind is ActionKind.UPDATE and "VoiceUrl" in update.params


def test_candidates_are_pinned_distinct_skipping_owned_and_dear_ones() -> None:
    current = state(member(1, friendly_name="Support 1", voice_url=None))
    offers = [offer(1), offer(5, "900.000000"), offer(6), offer(7)]
    plan = make_plan(manifest(pool(3, max_rental="600")), current, candidates={"blr": offers})
    purchases = [a for a in plan.actions if a.kind is ActionKind.PURCHASE]
    assert [a.number for a in purchases] == [number(6), number(7)]
    assert [a.name for a in purchases] == ["Support 2", "Support 3"]
    assert [a.marks for a in purchases] == [
        {"pool": "blr", "pool_index": 2},
        {"pool": "blr", "pool_index": 3},
    ]
    assert {(a.rental_price, a.currency) for a in purchases} == {("499.000000", "INR")}
    assert plan.needs == ()


def test_two_pools_never_pin_the_same_number() -> None:
    other = PoolSpec("del", 1, Criteria("IN", "Landline"))
    plan = make_plan(
        manifest(pool(1), other),
        state(),
        candidates={"blr": [offer(6)], "del": [offer(6), offer(7)]},
    )
    assert sorted(a.number for a in plan.actions) == [number(6), number(7)]


def test_too_few_candidates_names_the_pool_wanted_and_found() -> None:
    with pytest.raises(ExoplanError, match="pool blr: wanted 2 more number\\(s\\), found 1"):
        make_plan(manifest(pool(2)), state(), candidates={"blr": [offer(6)]})


def test_a_pool_above_its_count_releases_only_named_members() -> None:
    members = state(member(1), member(2), member(3))
    with pytest.raises(ExoplanError, match="pool blr has 3 members but its count is 2"):
        make_plan(manifest(pool(2)), members)
    plan = make_plan(manifest(pool(2, release=(number(2),))), members)
    assert [(a.kind, a.number) for a in plan.actions if a.kind is ActionKind.RELEASE] == [
        (ActionKind.RELEASE, number(2))
    ]


def test_a_listed_number_that_is_a_pool_member_is_an_error() -> None:
    wanted = manifest(pool(1))
    listed = {number(1): NumberSpec(number(1), number(1), 0)}
    with pytest.raises(ExoplanError, match="listed under numbers but is a member of pool blr"):
        make_plan(dataclasses.replace(wanted, numbers=listed), state(member(1)))


def test_pools_in_a_manifest_file_and_their_located_errors(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(
        "version: 1\naccount: {sid: acme1}\nflows: {ivr: {app_id: 1}}\n"
        'numbers: [{number: "+918030240001"}]\n'
        "pools:\n"
        "  blr:\n"
        "    count: 2\n    country: IN\n    type: Landline\n"
        "    voice_flow: nope\n"
        '    release: ["08030240001", "12"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ManifestError) as raised:
        load_manifest(str(path))
    lines = raised.value.lines()
    assert any(":10:" in line and "unknown flow 'nope' in pool blr" in line for line in lines)
    assert any(":11:" in line and "listed under numbers" in line for line in lines)
    assert any(":11:" in line and "'12'" in line for line in lines)
    path.write_text(
        "version: 1\naccount: {sid: acme1}\nnumbers: []\n"
        "pools:\n  blr: {count: 3, country: in, type: Mobile, region: KA, max_rental: 600}\n",
        encoding="utf-8",
    )
    (spec,) = load_manifest(str(path)).pools.values()
    assert (spec.count, spec.criteria, spec.max_rental) == (
        3,
        Criteria("IN", "Mobile", "KA"),
        "600",
    )


def test_search_results_take_the_currency_the_accounts_answers_use() -> None:
    from reconciler.plan import cost

    current = state(member(1, currency="USD"), state_entry(number(2), currency="USD"))
    (priced,) = cost.in_account_currency([offer(6)], current)
    assert priced.currency == "USD"  # the account's answers say USD for its Indian numbers
    (default,) = cost.in_account_currency([offer(6)], state())
    assert default.currency == "INR"  # nothing to go by: the market's currency


def test_a_pools_ignore_changes_applies_to_every_member() -> None:
    from reconciler.plan.pools import INDEX, POOL

    members = {
        number(i): state_entry(number(i), friendly_name="Renamed", **{POOL: "blr", INDEX: i})
        for i in (1, 2)
    }
    held = State("numbers.state.json", LINEAGE, 3, "acme1", members)
    plan = make_plan(manifest(pool(2, ignore_changes=frozenset({"friendly_name"}))), held)
    assert [c.field for a in plan.actions for c in a.changes] == ["voice_flow", "voice_flow"]


def test_a_candidate_outside_the_pools_country_is_never_pinned() -> None:
    abroad = Available("+14155550123", "Landline", "KA", True, True, "1.000000", "INR")
    plan = make_plan(manifest(pool(1)), state(), candidates={"blr": [abroad, offer(7)]})
    assert [a.number for a in plan.actions] == [number(7)]


def test_numbers_the_account_owns_are_never_for_sale() -> None:
    found = [offer(6), offer(7), offer(8)]
    owned = {number(6): {"sid": "S6"}, number(8): {"sid": "S8"}}
    assert pools.for_sale(found, owned) == [offer(7)]
