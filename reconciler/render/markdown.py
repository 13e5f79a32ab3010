"""Plan -> Markdown for pull-request comments and CI job summaries.

Stable (sorted, no timestamps): the same plan renders to the same bytes. It starts
with a hidden marker so a pipeline can find and update its earlier comment, and it
stays under GitHub's comment limit by cutting table rows, never the headline, the
release warning or the footer.

Every value is text, never markup: cells go through
:func:`reconciler.render.escape.markdown`, code-style values through ``markdown_code``,
so a name or URL cannot open a comment, close a ``<details>`` or break a table row.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TextIO

from reconciler.model import Action, ActionKind, Change, Drift, Plan
from reconciler.render.escape import markdown, markdown_code
from reconciler.render.text import flow_text, money, price_value, value_text

MARKER = "<!-- exoplan-plan -->"
GITHUB_LIMIT = 65_535
#: Room left under GitHub's limit for what CI adds around the plan (a marker, warnings).
CI_ROOM = 1_000
COLLAPSE_AFTER = 10  # rows; longer tables are folded into <details>
_TITLES = {
    ActionKind.PURCHASE: "Purchase",
    ActionKind.UPDATE: "Update",
    ActionKind.RELEASE: "Release",
}
_HEADERS = {
    ActionKind.PURCHASE: "| Number | Name | Voice flow | SMS flow | Protected |\n| --- | --- | --- | --- | --- |",
    ActionKind.UPDATE: "| Number | Name | Changes |\n| --- | --- | --- |",
    ActionKind.RELEASE: "| Number | Name | Monthly rental |\n| --- | --- | --- |",
}


def render_markdown(plan: Plan, out: TextIO, limit: int = GITHUB_LIMIT - CI_ROOM) -> None:
    out.write(markdown_text(plan, limit))


def markdown_text(plan: Plan, limit: int = GITHUB_LIMIT - CI_ROOM) -> str:
    """The whole comment, with table rows cut as needed to stay within ``limit``."""
    text = _compose(plan, max_rows=None)
    if len(text) <= limit:
        return text
    sizes = [len(rows) for rows in _rows_by_kind(plan).values()] + [len(plan.drift)]
    low, high = 0, max(sizes)
    while low < high:  # the most rows per table that still fit
        middle = (low + high + 1) // 2
        if len(_compose(plan, middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    return _compose(plan, low)


def _compose(plan: Plan, max_rows: int | None) -> str:
    account = markdown_code(plan.account_sid)
    parts = [MARKER, f"### exoplan plan for account {account}", "", _headline(plan), ""]
    releases = plan.counts()["release"]
    if releases:
        parts += [_caution(releases), ""]
    rental_line = _rental_line(plan)
    if rental_line:
        parts += [rental_line, ""]
    parts += _drift_section(plan, max_rows)
    for kind, rows in _rows_by_kind(plan).items():
        parts += _table(kind, rows, max_rows)
    parts += [_footer(plan), ""]
    return "\n".join(parts)


def _headline(plan: Plan) -> str:
    counts = plan.counts()
    if not plan.has_changes:
        return f"**No changes.** {counts['unchanged']} numbers match the manifest."
    return (
        f"**{counts['purchase']} to purchase, {counts['update']} to update, "
        f"{counts['release']} to release** ({counts['unchanged']} unchanged)"
    )


def _caution(count: int) -> str:
    noun = "number" if count == 1 else "numbers"
    return (
        f"> [!CAUTION]\n> **{count} {noun} will be released.** A released number is gone "
        "for good and may go to another customer. Apply needs `--allow-release`."
    )


def _rental_line(plan: Plan) -> str:
    removed: dict[str, Decimal] = defaultdict(Decimal)
    for action in plan.actions:
        value = price_value(action.rental_price)
        if action.kind is ActionKind.RELEASE and value is not None:
            removed[str(action.currency or "?")] += value
    purchases = plan.counts()["purchase"]
    pieces = [f"-{markdown(money(str(total), cur))}" for cur, total in sorted(removed.items())]
    if purchases:
        pieces.append(f"+{purchases} new rental(s), priced by Exotel at purchase")
    return f"**Monthly rental:** {', '.join(pieces)}" if pieces else ""


def _rows_by_kind(plan: Plan) -> dict[ActionKind, list[str]]:
    rows: dict[ActionKind, list[str]] = {}
    for action in plan.actions:
        rows.setdefault(action.kind, []).append(_row(action))
    return rows


def _row(action: Action) -> str:
    number, name = markdown_code(action.number), _cell(action.name or "")
    if action.kind is ActionKind.PURCHASE:
        after = {c.field: c.after for c in action.changes}
        voice = _cell(flow_text(after["voice_flow"])) if "voice_flow" in after else ""
        sms = _cell(flow_text(after["sms_flow"])) if "sms_flow" in after else ""
        return f"| {number} | {name} | {voice} | {sms} | {'yes' if action.protect else ''} |"
    if action.kind is ActionKind.UPDATE:
        changes = "<br>".join(_change(c) for c in action.changes)
        return f"| {number} | {name} | {changes} |"
    rent = _cell(money(action.rental_price, action.currency)) if action.rental_price else "unknown"
    return f"| {number} | {name} | {rent} |"


def _cell(text: str) -> str:
    return markdown(text)


def _change(change: Change) -> str:
    return f"{change.field}: {_cell(value_text(change.before))} → {_cell(value_text(change.after))}"


def _table(kind: ActionKind, rows: list[str], max_rows: int | None) -> list[str]:
    title = f"{_TITLES[kind]} ({len(rows)})"
    if kind is ActionKind.RELEASE:
        title = f"⚠️ {title}"
    shown = rows if max_rows is None else rows[:max_rows]
    body = [_HEADERS[kind], *shown]
    if len(shown) < len(rows):
        body.append(
            f"\n_{len(rows) - len(shown)} more rows not shown: the full plan is in the "
            "plan artifact (`exoplan plan --format json`)._"
        )
    table = "\n".join(body)
    if len(rows) > COLLAPSE_AFTER:
        return [f"<details><summary><b>{title}</b></summary>", "", table, "", "</details>", ""]
    return [f"#### {title}", "", table, ""]


def _drift_section(plan: Plan, max_rows: int | None) -> list[str]:
    parts = []
    if plan.drift:
        rows = [_drift_row(drift) for drift in plan.drift]
        shown = rows if max_rows is None else rows[:max_rows]
        body = ["| Number | Changed outside exoplan |", "| --- | --- |", *shown]
        if len(shown) < len(rows):
            body.append(f"\n_{len(rows) - len(shown)} more rows not shown._")
        parts += [f"#### Changed outside exoplan ({len(rows)})", "", "\n".join(body), ""]
    if plan.unmanaged:
        parts += [
            f"_The account owns {plan.unmanaged} number(s) that exoplan does not manage._",
            "",
        ]
    return parts


def _drift_row(drift: Drift) -> str:
    if drift.gone:
        return f"| {markdown_code(drift.number)} | **no longer owned** (released outside exoplan) |"
    changes = "<br>".join(_change(c) for c in drift.changes)
    return f"| {markdown_code(drift.number)} | {changes} |"


def _footer(plan: Plan) -> str:
    lineage = markdown_code(plan.state_lineage or "none yet")
    return (
        f"<sub>manifest {markdown_code(plan.manifest_path)} sha256 "
        f"{markdown_code(plan.manifest_sha256)} · state serial {plan.state_serial}, "
        f"lineage {lineage}</sub>"
    )
