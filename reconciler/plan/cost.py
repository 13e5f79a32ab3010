"""What a plan does to the monthly bill: rental added by purchases, removed by releases,
the net change per currency, and how many purchases have no known price.

Pure arithmetic on a Plan, with Decimal throughout (never float). Renderers show the
result; :mod:`reconciler.plan.safety` holds the budget gate built on it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, DecimalException

from reconciler.manifest.numbers import country_of
from reconciler.model import ActionKind, Available, Plan, State

#: Rentals at or beyond this are not amounts anyone pays: shown as written, not summed.
MAX_PRICE = Decimal(10) ** 12
#: The currency shown for a rental whose currency is not known.
UNKNOWN_CURRENCY = "?"


def account_currency(state: State, country: str | None) -> str | None:
    """The currency the account's own answers give for ``country``'s numbers (purchase
    answers carry it), or None when the state has none to go by."""
    seen = Counter(
        str(entry["currency"])
        for number, entry in state.numbers.items()
        if entry.get("currency") and (country is None or country_of(number) == country)
    )
    return seen.most_common(1)[0][0] if seen else None


def in_account_currency(found: Iterable[Available], state: State) -> list[Available]:
    """Search results in the currency the account's answers use, where it says one."""
    return [
        dataclasses.replace(
            item, currency=account_currency(state, country_of(item.number)) or item.currency
        )
        for item in found
    ]


def price_value(price: object) -> Decimal | None:
    """``price`` (a decimal string from Exotel or the state) as a Decimal, or None when it
    is not a finite, sane, non-negative amount: a rental below zero is not a price (it
    would offset real ones in the budget gate), so it is unknown."""
    if not isinstance(price, (str, int)) or isinstance(price, bool) or len(str(price)) > 40:
        return None
    try:
        value = Decimal(str(price).strip())
        sane = value.is_finite() and 0 <= value < MAX_PRICE
    except DecimalException:  # not a number, or beyond Decimal's exponent range
        return None
    return value if sane else None


@dataclass(frozen=True, slots=True)
class MonthlyCost:
    """Rental added and removed per currency; ``unknown`` purchases have no known price."""

    added: dict[str, Decimal] = field(default_factory=dict)
    removed: dict[str, Decimal] = field(default_factory=dict)
    unknown: int = 0

    @property
    def currencies(self) -> list[str]:
        return sorted(set(self.added) | set(self.removed))

    def net(self, currency: str) -> Decimal:
        return self.added.get(currency, Decimal(0)) - self.removed.get(currency, Decimal(0))

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.unknown)

    def to_data(self) -> dict[str, object]:
        """For the JSON plan: amounts as decimal strings, per currency."""
        return {
            "added": {c: _text(v) for c, v in sorted(self.added.items())},
            "removed": {c: _text(v) for c, v in sorted(self.removed.items())},
            "net": {c: _text(self.net(c)) for c in self.currencies},
            "unknown_prices": self.unknown,
        }


def _text(value: Decimal) -> str:
    return f"{value:.2f}"


def monthly_cost(plan: Plan) -> MonthlyCost:
    """The monthly change ``plan`` makes: purchases add, releases remove; a quarantined
    number is still rented, so it changes nothing yet."""
    added: dict[str, Decimal] = defaultdict(Decimal)
    removed: dict[str, Decimal] = defaultdict(Decimal)
    unknown = 0
    for action in plan.actions:
        value = price_value(action.rental_price)
        currency = action.currency or UNKNOWN_CURRENCY
        if action.kind is ActionKind.PURCHASE:
            if value is None:
                unknown += 1
            else:
                added[currency] += value
        elif action.kind is ActionKind.RELEASE and value is not None:
            removed[currency] += value
    return MonthlyCost(dict(added), dict(removed), unknown)


def unpriced(plan: Plan) -> list[str]:
    """The numbers ``plan`` buys without a known rental."""
    return [
        a.number
        for a in plan.actions
        if a.kind is ActionKind.PURCHASE and price_value(a.rental_price) is None
    ]


def with_prices(plan: Plan, found: Iterable[Available]) -> Plan:
    """``plan`` with each unpriced purchase given its rental from the inventory ``found``
    (a number not for sale keeps no price)."""
    prices = {item.number: item for item in found if price_value(item.rental_price) is not None}
    actions = []
    for action in plan.actions:
        item = prices.get(action.number)
        if action.kind is ActionKind.PURCHASE and action.rental_price is None and item:
            action = dataclasses.replace(
                action, rental_price=item.rental_price, currency=item.currency
            )
        actions.append(action)
    return dataclasses.replace(plan, actions=tuple(actions))
