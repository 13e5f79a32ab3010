"""reconciler.plan.scope with pools: --target and --exclude reach pool members as they
reach listed numbers, and ``pool:NAME`` names a pool as a whole (its members, the
numbers it still needs, and those pinned for it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from reconciler.errors import UsageError
from reconciler.model import ActionKind, Manifest, NumberSpec, Plan, State
from reconciler.plan import scope
from reconciler.plan.planner import make_plan
from tests.plan.test_pools import manifest, member, offer, pool, state
from tests.support.project import number, state_entry

LISTED = number(30)
VOICE = "http://my.exotel.com/acme1/exoml/start_voice/123456"


def project(count: int = 3) -> tuple[Manifest, State]:
    """A pool of ``count`` with one member as the manifest says (1), one not (2), and a
    listed number whose flow differs."""
    wanted = manifest(pool(count))
    spec = NumberSpec(LISTED, LISTED, 0, friendly_name="Desk")
    wanted = dataclasses.replace(wanted, numbers={LISTED: spec})
    current = state(
        member(1, friendly_name="Support 1", voice_url=VOICE),
        member(2, friendly_name="Old", voice_url=None),
        state_entry(LISTED, friendly_name="Old desk"),
    )
    return wanted, current


def partial(plan: Plan, targets: list[str], excludes: tuple[str, ...] = ()) -> Plan:
    wanted, current = project()
    resolved = scope.resolve("--target", targets, wanted, current)
    left_out = scope.resolve("--exclude", excludes, wanted, current)
    return scope.restrict(plan, wanted, current, resolved, left_out)


def offline() -> Plan:
    wanted, current = project()
    return make_plan(wanted, current)


def pinned() -> Plan:
    wanted, current = project()
    return make_plan(wanted, current, candidates={"blr": [offer(7)]})


def test_a_targeted_pool_member_as_the_manifest_says_is_unchanged_not_nothing() -> None:
    plan = partial(offline(), [number(1)])
    assert plan.actions == () and plan.needs == ()
    assert plan.unchanged == 1
    assert plan.scope is not None and plan.scope.selected == 1


def test_a_targeted_pool_member_is_planned_alone() -> None:
    plan = partial(offline(), [number(2)])
    assert [(a.kind, a.number, a.name) for a in plan.actions] == [
        (ActionKind.UPDATE, number(2), "Support 2")
    ]
    assert plan.needs == ()  # the pool's missing member is not this target


def test_targeting_a_listed_number_leaves_the_pools_purchases_out() -> None:
    assert [a.number for a in partial(offline(), [LISTED]).actions] == [LISTED]
    assert partial(offline(), [LISTED]).needs == ()
    assert [a.number for a in partial(pinned(), [LISTED]).actions] == [LISTED]


@pytest.mark.parametrize("plan", [offline, pinned])
def test_a_pool_targeted_as_a_whole(plan: Callable[[], Plan]) -> None:
    whole = partial(plan(), ["pool:blr"])
    numbers = [a.number for a in whole.actions]
    assert LISTED not in numbers and number(2) in numbers
    if plan is pinned:
        assert number(7) in numbers and whole.needs == ()
    else:
        assert [(n.pool, n.missing) for n in whole.needs] == [("blr", 1)]
    assert whole.unchanged == 1
    assert whole.scope is not None and whole.scope.targets == ("pool:blr",)
    assert whole.scope.selected == 2


@pytest.mark.parametrize("plan", [offline, pinned])
def test_a_pool_excluded_as_a_whole(plan: Callable[[], Plan]) -> None:
    rest = partial(plan(), [], ("pool:blr",))
    assert [a.number for a in rest.actions] == [LISTED]
    assert rest.needs == () and rest.unchanged == 0


def test_a_pool_member_excluded_alone() -> None:
    rest = partial(pinned(), [], (number(2),))
    assert sorted(a.number for a in rest.actions) == sorted([LISTED, number(7)])


def test_an_unknown_pool_names_the_pools_there_are() -> None:
    with pytest.raises(UsageError, match="--target pool:nope: the manifest has no pool nope"):
        partial(offline(), ["pool:nope"])
    with pytest.raises(UsageError, match="to plan pool blr as a whole, write --target pool:blr"):
        partial(offline(), ["blr"])
