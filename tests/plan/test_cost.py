"""reconciler.plan.cost: which rentals are prices, and what a plan adds to the bill; a
rental below zero or not finite is unknown, for the budget gate and for max_rental alike
(fuzzed with a fixed count of seeded examples)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import ExoplanError
from reconciler.model import Action, ActionKind, Available, Criteria, PoolSpec
from reconciler.plan.cost import monthly_cost, price_value
from reconciler.plan.planner import make_plan
from reconciler.plan.safety import budget_problem
from tests.e2e.test_properties import examples
from tests.plan.test_pools import manifest, state
from tests.support.plans import plan_of
from tests.support.project import number


@pytest.mark.parametrize(
    ("price", "value"),
    [
        ("499.000000", Decimal("499")),
        ("0", Decimal(0)),
        (12, Decimal(12)),
        (" 1.5 ", Decimal("1.5")),
    ],
)
def test_amounts_are_prices(price: object, value: Decimal) -> None:
    assert price_value(price) == value


@pytest.mark.parametrize(
    "price", ["-1900", "-0.01", -5, "NaN", "-sNaN", "Infinity", "-inf", "1e400", "x", None, True]
)
def test_below_zero_or_not_finite_is_no_price(price: object) -> None:
    assert price_value(price) is None


def test_a_negative_rental_is_unknown_and_never_offsets_another() -> None:
    actions = tuple(
        Action(ActionKind.PURCHASE, number(i), rental_price=p, currency="INR")
        for i, p in ((1, "2000"), (2, "-1900"))
    )
    plan = dataclasses.replace(plan_of(*actions), max_monthly_increase="150")
    cost = monthly_cost(plan)
    assert cost.added == {"INR": Decimal(2000)} and cost.unknown == 1
    assert "+2000.00 INR" in budget_problem(plan)
    assert "1 purchase has no known price" in budget_problem(plan)


prices = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**15), 10**15),
    st.sampled_from(["NaN", "-NaN", "sNaN", "Infinity", "-inf", "-0", "1e400", "-1e-400", ""]),
    st.text(max_size=12),
    st.none(),
)


@given(rentals=st.lists(prices, min_size=1, max_size=6), budget=st.integers(0, 5000))
@examples(300)
def test_the_budget_gate_passes_only_known_prices_within_the_budget(
    rentals: list[object], budget: int
) -> None:
    actions = tuple(
        Action(ActionKind.PURCHASE, number(i + 1), rental_price=p, currency="INR")  # type: ignore[arg-type]
        for i, p in enumerate(rentals)
    )
    plan = dataclasses.replace(plan_of(*actions), max_monthly_increase=str(budget))
    values = [price_value(p) for p in rentals]
    assert all(v is None or (v.is_finite() and v >= 0) for v in values)
    if not budget_problem(plan):
        assert None not in values
        assert sum(v for v in values if v is not None) <= budget


@given(price=prices, limit=st.integers(0, 1000))
@examples(300)
def test_max_rental_passes_only_a_known_price_within_it(price: object, limit: int) -> None:
    found = Available(number(7), "Landline", None, True, False, price, "INR")  # type: ignore[arg-type]
    spec = PoolSpec("blr", 1, Criteria("IN", "Landline"), max_rental=str(limit))
    try:
        plan = make_plan(manifest(spec), state(), candidates={"blr": [found]})
    except ExoplanError:
        return  # found none within max_rental
    value = price_value(price)
    assert value is not None and 0 <= value <= limit
    assert [a.number for a in plan.actions] == [number(7)]
