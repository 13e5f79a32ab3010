"""Plan -> terminal text (Terraform style), written to a file handle. Formatting only.

Every value shown (names, URLs, currencies, sids) passes through
:func:`reconciler.render.escape.terminal`: none can move the cursor or colour the screen.

JSON is :mod:`reconciler.render.json`; Markdown (for pull-request comments) is
:mod:`reconciler.render.markdown`.
"""

from __future__ import annotations

import json
from decimal import Decimal, DecimalException
from typing import Any, TextIO

from reconciler.model import Action, ActionKind, Change, Drift, Plan
from reconciler.render.escape import terminal

_SIGNS = {ActionKind.PURCHASE: "+", ActionKind.UPDATE: "~", ActionKind.RELEASE: "-"}
_COLOURS = {ActionKind.PURCHASE: "32", ActionKind.UPDATE: "33", ActionKind.RELEASE: "31"}


def paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def render_text(plan: Plan, out: TextIO, color: bool = False) -> None:
    if plan.drift:
        out.write("Changed outside exoplan (as Exotel reports it now):\n")
        for drift in plan.drift:
            out.write(drift_block(drift, color))
        out.write("\n")
    if plan.unmanaged is not None:
        out.write(unmanaged_note(plan.unmanaged) + "\n\n")
    if not plan.has_changes:
        out.write(no_changes_line(plan) + "\n")
        return
    out.write(f"exoplan will change account {terminal(plan.account_sid)}:\n\n")
    for action in plan.actions:
        out.write(action_block(action, color))
    out.write("\n" + summary_line(plan) + "\n")
    releases = plan.counts()[ActionKind.RELEASE.value]
    if releases:
        out.write(paint(release_warning(releases), "1;31", color) + "\n")


def drift_block(drift: Drift, color: bool) -> str:
    if drift.gone:
        sign = paint("!", "31", color)
        return (
            f"  {sign} {terminal(drift.number)}  no longer owned by the account "
            "(released outside exoplan)\n"
        )
    lines = [f"  {paint('~', '33', color)} {terminal(drift.number)}"]
    for change in drift.changes:
        lines.append(f"        {change.field}: {change_text(change, ActionKind.UPDATE)}")
    return "\n".join(lines) + "\n"


def unmanaged_note(count: int) -> str:
    if count == 0:
        return "Note: exoplan manages every number the account owns."
    noun = "number" if count == 1 else "numbers"
    return (
        f"Note: the account owns {count} {noun} that exoplan does not manage "
        "(`exoplan import NUMBER` adopts one)."
    )


def no_changes_line(plan: Plan) -> str:
    count = plan.unchanged
    noun = "number matches" if count == 1 else "numbers match"
    return f"No changes. {count} {noun} the manifest."


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    return (
        f"Plan: {counts['purchase']} to purchase, {counts['update']} to update, "
        f"{counts['release']} to release. {counts['unchanged']} unchanged."
    )


def release_warning(count: int) -> str:
    noun = "number" if count == 1 else "numbers"
    return (
        f"Warning: {count} {noun} will be released. A released number is gone for good; "
        "apply refuses releases unless given --allow-release."
    )


def action_block(action: Action, color: bool) -> str:
    sign = paint(_SIGNS[action.kind], _COLOURS[action.kind], color)
    head = f"  {sign} {action.kind.value:<8} {terminal(action.number)}"
    if action.name:
        head += f"  {quoted(action.name)}"
    if action.kind is ActionKind.RELEASE and action.rental_price:
        head += f"  (rental {rental(action)}/month)"
    lines = [head]
    for change in action.changes:
        if action.kind is ActionKind.PURCHASE and change.field == "friendly_name":
            continue
        lines.append(f"        {change.field}: {change_text(change, action.kind)}")
    return "\n".join(lines) + "\n"


def change_text(change: Change, kind: ActionKind) -> str:
    if kind is ActionKind.PURCHASE:
        return value_text(change.after)
    return f"{value_text(change.before)} -> {value_text(change.after)}"


def value_text(value: Any) -> str:
    """A value as shown in plans: flows by name and app id, strings quoted."""
    if isinstance(value, dict):
        return flow_text(value)
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return terminal(json.dumps(value, ensure_ascii=False, default=str))


def quoted(text: str) -> str:
    """A name in double quotes, JSON-escaped and safe for the terminal."""
    return terminal(json.dumps(text, ensure_ascii=False))


def flow_text(value: dict[str, Any]) -> str:
    name, app_id, url = value.get("flow"), value.get("app_id"), value.get("url")
    if name and app_id:
        return terminal(f"{name} (app {app_id})")
    if app_id:
        return terminal(f"app {app_id}")
    return terminal(str(url)) if url else "(none)"


def rental(action: Action) -> str:
    return money(action.rental_price, action.currency)


def money(price: object, currency: object) -> str:
    """A monthly rental as shown: two decimals when it reads as a sane amount."""
    value = price_value(price)
    amount = f"{value:.2f}" if value is not None else _shortened(str(price))
    text = f"{amount} {_shortened(str(currency))}" if currency else amount
    return terminal(text)


#: Rentals at or beyond this are not amounts anyone pays: shown as written, not summed.
_MAX_PRICE = Decimal(10) ** 12


def price_value(price: object) -> Decimal | None:
    """``price`` (a decimal string from Exotel or the state) as a Decimal, or None when it
    is not a finite, sane amount."""
    if not isinstance(price, (str, int)) or isinstance(price, bool) or len(str(price)) > 40:
        return None
    try:
        value = Decimal(str(price).strip())
        sane = value.is_finite() and value.copy_abs() < _MAX_PRICE
    except DecimalException:  # not a number, or beyond Decimal's exponent range
        return None
    return value if sane else None


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
