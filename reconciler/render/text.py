"""Plan -> terminal text (Terraform style), written to a file handle. Formatting only.

Every value shown (names, URLs, currencies, sids) passes through
:func:`reconciler.render.escape.terminal`: none can move the cursor or colour the screen.

JSON is :mod:`reconciler.render.json`; Markdown (for pull-request comments) is
:mod:`reconciler.render.markdown`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TextIO

from reconciler.model import Action, ActionKind, Breach, Change, Drift, Plan
from reconciler.plan import usage
from reconciler.plan.cost import monthly_cost, price_value
from reconciler.plan.safety import budget_problem, describe_breach
from reconciler.render.escape import terminal

_SIGNS = {
    ActionKind.PURCHASE: "+",
    ActionKind.UPDATE: "~",
    ActionKind.QUARANTINE: "~",
    ActionKind.RELEASE: "-",
}
_COLOURS = {
    ActionKind.PURCHASE: "32",
    ActionKind.UPDATE: "33",
    ActionKind.QUARANTINE: "35",
    ActionKind.RELEASE: "31",
}


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
    if plan.scope is not None:
        out.write(partial_note(plan) + "\n\n")
    if not plan.has_changes:
        out.write(no_changes_line(plan) + "\n")
        out.write(waiting_block(plan))
        return
    out.write(f"exoplan will change account {terminal(plan.account_sid)}:\n\n")
    for action in plan.actions:
        out.write(action_block(action, color))
        if action.kind is ActionKind.RELEASE:
            out.write(f"        {terminal(usage.describe(plan, action))}\n")
    for line in needs_lines(plan):
        out.write(f"  {paint('+', '32', color)} {line}\n")
    out.write(waiting_block(plan))
    out.write("\n" + summary_line(plan) + "\n")
    out.write("".join(line + "\n" for line in cost_lines(plan)))
    _write_warnings(plan, out, color)


def _write_warnings(plan: Plan, out: TextIO, color: bool) -> None:
    releases = plan.counts()[ActionKind.RELEASE.value]
    if releases:
        out.write(paint(release_warning(releases), "1;31", color) + "\n")
    for breach in plan.breaches:
        out.write(paint(breach_warning(breach), "1;31", color) + "\n")
    verdict = budget_verdict(plan)
    if verdict:
        code = "1;31" if budget_problem(plan) else "32"
        out.write(paint(terminal(verdict), code, color) + "\n")


def cost_lines(plan: Plan) -> list[str]:
    """'Monthly rental: +998.00 INR, -499.00 INR, net +499.00 INR/month' and a line for
    purchases of unknown price; none for a plan that changes no rental."""
    cost = monthly_cost(plan)
    if cost.empty:
        return []
    pieces = []
    for currency in cost.currencies:
        legs = [
            f"{sign}{money(str(amount), currency)}"
            for sign, amount in (
                ("+", cost.added.get(currency, 0)),
                ("-", cost.removed.get(currency, 0)),
            )
            if _cents(Decimal(amount))
        ]
        net = _cents(cost.net(currency))
        legs.append(f"net {f'{net:+.2f}' if net else '0.00'} {terminal(currency)}/month")
        pieces.append(", ".join(legs))
    lines = [f"Monthly rental: {'; '.join(pieces) or 'no known change'}"]
    if cost.unknown:
        noun = "purchase has" if cost.unknown == 1 else "purchases have"
        lines.append(f"{cost.unknown} {noun} no known price (plan --refresh looks prices up).")
    return lines


def budget_verdict(plan: Plan) -> str:
    """The budget gate's verdict, or "" without --max-monthly-increase."""
    if plan.max_monthly_increase is None:
        return ""
    problem = budget_problem(plan)
    if problem:
        return f"Over budget: {problem}; apply refuses this plan."
    return f"Within budget: the net increase is at most {plan.max_monthly_increase}/month."


def partial_note(plan: Plan) -> str:
    """'Partial plan: 1 of 7 numbers (--target +91...).' for a plan with a scope."""
    assert plan.scope is not None
    scope = plan.scope
    flags = [f"--target {n}" for n in scope.targets] + [f"--exclude {n}" for n in scope.excludes]
    why = ", ".join(flags) or "--target names none of its numbers"
    return (
        f"Partial plan: {scope.selected} of {scope.total} numbers ({why}); "
        "the others are left as they are."
    )


def breach_warning(breach: Breach) -> str:
    return (
        f"Mass change: {describe_breach(breach)}; apply refuses it unless given "
        "--allow-mass-change."
    )


def needs_lines(plan: Plan) -> list[str]:
    """'3 numbers for pool blr-support, chosen at apply or by plan --refresh' per need."""
    return [
        f"{need.missing} number{'s' * (need.missing != 1)} for pool {terminal(need.pool)}, "
        "chosen at apply or by plan --refresh"
        for need in plan.needs
    ]


def waiting_block(plan: Plan) -> str:
    if not plan.waiting:
        return ""
    lines = ["\nIn quarantine (no action until the date):"]
    for item in plan.waiting:
        name = f"  {quoted(item.name)}" if item.name else ""
        when = terminal(item.release_after)
        lines.append(f"    {terminal(item.number)}{name}  release after {when}")
    return "\n".join(lines) + "\n"


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
    quarantine = f"{counts['quarantine']} to quarantine, " if counts["quarantine"] else ""
    return (
        f"Plan: {counts['purchase']} to purchase, {counts['update']} to update, "
        f"{quarantine}{counts['release']} to release. {counts['unchanged']} unchanged."
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
    if action.kind in (ActionKind.RELEASE, ActionKind.PURCHASE) and action.rental_price:
        head += f"  (rental {rental(action)}/month)"
    if action.kind is ActionKind.QUARANTINE:
        return f"{head}  -> {quarantine_target(action)}\n"
    lines = [head]
    for change in action.changes:
        if action.kind is ActionKind.PURCHASE and change.field == "friendly_name":
            continue
        lines.append(f"        {change.field}: {change_text(change, action.kind)}")
    return "\n".join(lines) + "\n"


def quarantine_flow(action: Action) -> str:
    """The flow a quarantine re-points to: 'retired (app 99)'."""
    flow = next((c.after for c in action.changes if c.field == "voice_flow"), None)
    return flow_text(flow) if isinstance(flow, dict) else "the quarantine flow"


def quarantine_target(action: Action) -> str:
    """'retired (app 99) (release after 2026-12-11)' for a quarantine action."""
    return f"{quarantine_flow(action)} (release after {terminal(str(action.release_after))})"


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


def flow_text(value: Mapping[str, Any]) -> str:
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
    amount = f"{_cents(value):.2f}" if value is not None else _shortened(str(price))
    text = f"{amount} {_shortened(str(currency))}" if currency else amount
    return terminal(text)


def _cents(value: Decimal) -> Decimal:
    """``value`` to the cent, a negative zero made plain zero ("-0.00" is never shown)."""
    cents = value.quantize(Decimal("0.01"))
    return cents if cents else abs(cents)


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
