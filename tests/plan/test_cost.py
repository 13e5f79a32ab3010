"""reconciler.plan.cost: which rentals are prices, and what a plan adds to the bill."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from reconciler.model import Action, ActionKind
from reconciler.plan.cost import monthly_cost, price_value
from reconciler.plan.safety import budget_problem
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
