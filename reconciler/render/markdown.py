"""Plan -> Markdown for pull-request comments and CI job summaries.

Stable (sorted, no timestamps): the same plan renders to the same bytes. It starts
with a hidden marker so a pipeline can find and update its earlier comment, and it
stays within GitHub's comment limit, less the room CI keeps for what it appends
(warnings, a link to the run), by cutting table rows, never the headline, the release
warning or the footer. The footer names the inputs by short hash and lineage; the full
values are in the JSON plan.

Every value is text, never markup: cells go through
:func:`reconciler.render.escape.markdown`, code-style values through ``markdown_code``,
so a name or URL cannot open a comment, close a ``<details>`` or break a table row.
"""

from __future__ import annotations

from typing import TextIO

from reconciler.model import Action, ActionKind, Change, Drift, Plan
from reconciler.plan import usage
from reconciler.plan.safety import budget_problem
from reconciler.render.escape import markdown, markdown_code
from reconciler.render.text import (
    breach_warning,
    budget_verdict,
    cost_lines,
    flow_text,
    money,
    needs_lines,
    partial_note,
    quarantine_flow,
    value_text,
)

MARKER = "<!-- exoplan-plan -->"
GITHUB_LIMIT = 65_536  # characters in one comment; GitHub refuses a longer body
CI_RESERVE = 4_096  # kept free for what a pipeline appends to the plan
COMMENT_LIMIT = GITHUB_LIMIT - CI_RESERVE
SHORT_SHA256, SHORT_LINEAGE = 12, 8  # as `git log --oneline` shortens commits
COLLAPSE_AFTER = 10  # rows; longer tables are folded into <details>
_TITLES = {
    ActionKind.PURCHASE: "Purchase",
    ActionKind.UPDATE: "Update",
    ActionKind.QUARANTINE: "Quarantine",
    ActionKind.RELEASE: "Release",
}
_HEADERS = {
    ActionKind.PURCHASE: "| Number | Name | Voice flow | SMS flow | Protected |\n| --- | --- | --- | --- | --- |",
    ActionKind.UPDATE: "| Number | Name | Changes |\n| --- | --- | --- |",
    ActionKind.QUARANTINE: "| Number | Name | Points to | Released after |\n| --- | --- | --- | --- |",
    ActionKind.RELEASE: "| Number | Name | Monthly rental | Calls |\n| --- | --- | --- | --- |",
}


def render_markdown(plan: Plan, out: TextIO, limit: int = COMMENT_LIMIT) -> None:
    out.write(markdown_text(plan, limit))


def markdown_text(plan: Plan, limit: int = COMMENT_LIMIT) -> str:
    """The whole comment, with table rows cut as needed to stay within ``limit``.

    Only rows that could fit are ever drawn: a row takes more than ``_MIN_ROW``
    characters, so no table shows more than ``limit // _MIN_ROW`` of them; the most rows
    per table that still fit are then found among those.
    """
    rows = _Rows(plan, limit // _MIN_ROW + 1)
    text = _compose(plan, rows, rows.most)
    if len(text) <= limit:
        return text
    low, high = 0, rows.most
    while low < high:  # the most rows per table that still fit
        middle = (low + high + 1) // 2
        if len(_compose(plan, rows, middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    text = _compose(plan, rows, low)
    if len(text) <= limit:
        return text
    return _cut(text, limit)


#: Fewer characters than any table row takes, with its line break.
_MIN_ROW = 10


class _Rows:
    """The parts of the comment drawn once: what comes before and after the tables, and
    the first ``most`` rows of each table (actions by kind, and drift) with its length."""

    def __init__(self, plan: Plan, most: int) -> None:
        self.head, self.tail = _head(plan), _tail(plan)
        counts = plan.counts()
        self.total = {kind: counts[kind.value] for kind in ActionKind if counts[kind.value]}
        self.most = min(most, max([*self.total.values(), len(plan.drift)], default=0))
        self.actions: dict[ActionKind, list[str]] = {kind: [] for kind in self.total}
        for action in plan.actions:
            drawn = self.actions[action.kind]
            if len(drawn) < self.most:
                drawn.append(_row(action) + _usage_cell(plan, action))
        self.drift = [_drift_row(drift) for drift in plan.drift[: self.most]]


def _cut(text: str, limit: int) -> str:
    """Last resort when even the bare comment is too long (a huge value in it)."""
    note = "\n\n_Cut to fit a comment: the full plan is in `exoplan plan --format json`._\n"
    return (text[: limit - len(note)] + note) if limit > len(note) else text[:limit]


def _compose(plan: Plan, rows: _Rows, max_rows: int) -> str:
    parts = [*rows.head, *_drift_section(plan, rows.drift, max_rows)]
    for kind, drawn in rows.actions.items():
        parts += _table(kind, drawn[:max_rows], rows.total[kind])
    return "\n".join([*parts, *rows.tail])


def _head(plan: Plan) -> list[str]:
    """Everything above the tables: headline, warnings, the monthly rental."""
    account = markdown_code(plan.account_sid)
    parts = [MARKER, f"### exoplan plan for account {account}", "", _headline(plan), ""]
    releases = plan.counts()["release"]
    if releases:
        parts += [_caution(releases), ""]
    parts += _safety_notes(plan)
    rental_line = _rental_line(plan)
    if rental_line:
        parts += [rental_line, ""]
    return parts


def _tail(plan: Plan) -> list[str]:
    """Everything below the tables: pools still to fill, quarantines, the footer."""
    parts = [f"- {markdown(line)}" for line in needs_lines(plan)] + ([""] if plan.needs else [])
    return [*parts, *_waiting_section(plan), _footer(plan), ""]


def _headline(plan: Plan) -> str:
    counts = plan.counts()
    if not plan.has_changes:
        return f"**No changes.** {counts['unchanged']} numbers match the manifest."
    quarantine = f"{counts['quarantine']} to quarantine, " if counts["quarantine"] else ""
    return (
        f"**{counts['purchase']} to purchase, {counts['update']} to update, "
        f"{quarantine}{counts['release']} to release** ({counts['unchanged']} unchanged)"
    )


def _safety_notes(plan: Plan) -> list[str]:
    """A partial plan says so; a mass change is flagged for the reviewer."""
    parts = []
    if plan.scope is not None:
        parts += [f"> [!NOTE]\n> {_cell(partial_note(plan))}", ""]
    for breach in plan.breaches:
        parts += [f"> [!WARNING]\n> **{_cell(breach_warning(breach))}**", ""]
    return parts


def _waiting_section(plan: Plan) -> list[str]:
    if not plan.waiting:
        return []
    rows = [
        f"| {markdown_code(q.number)} | {_cell(q.name or '')} | {_cell(q.since)} "
        f"| {_cell(q.release_after)} |"
        for q in plan.waiting
    ]
    header = "| Number | Name | Since | Released after |\n| --- | --- | --- | --- |"
    return [f"#### In quarantine ({len(rows)})", "", "\n".join([header, *rows]), ""]


def _caution(count: int) -> str:
    noun = "number" if count == 1 else "numbers"
    return (
        f"> [!CAUTION]\n> **{count} {noun} will be released.** A released number is gone "
        "for good and may go to another customer. Apply needs `--allow-release`."
    )


def _rental_line(plan: Plan) -> str:
    """The monthly change and, with --max-monthly-increase, the budget gate's verdict."""
    lines = cost_lines(plan)
    if not lines:
        return ""
    text = f"**Monthly rental:** {markdown(lines[0].removeprefix('Monthly rental: '))}"
    text += "".join(f"<br>{markdown(line)}" for line in lines[1:])
    verdict = budget_verdict(plan)
    if verdict:
        over = bool(budget_problem(plan))
        text += f"\n\n> [!{'WARNING' if over else 'NOTE'}]\n> **{markdown(verdict)}**"
    return text


def _usage_cell(plan: Plan, action: Action) -> str:
    """A release's last cell: its calls, or when they are checked."""
    if action.kind is not ActionKind.RELEASE:
        return ""
    return f" {_cell(usage.describe(plan, action))} |"


def _row(action: Action) -> str:
    number, name = markdown_code(action.number), _cell(action.name or "")
    if action.kind is ActionKind.PURCHASE:
        after = {c.field: c.after for c in action.changes}
        voice = _cell(flow_text(after["voice_flow"])) if "voice_flow" in after else ""
        sms = _cell(flow_text(after["sms_flow"])) if "sms_flow" in after else ""
        return f"| {number} | {name} | {voice} | {sms} | {'yes' if action.protect else ''} |"
    if action.kind is ActionKind.QUARANTINE:
        target = _cell(quarantine_flow(action))
        return f"| {number} | {name} | {target} | {_cell(action.release_after or '')} |"
    if action.kind is ActionKind.UPDATE:
        changes = "<br>".join(_change(c) for c in action.changes)
        return f"| {number} | {name} | {changes} |"
    rent = _cell(money(action.rental_price, action.currency)) if action.rental_price else "unknown"
    return f"| {number} | {name} | {rent} |"


def _cell(text: str) -> str:
    return markdown(text)


def _change(change: Change) -> str:
    return f"{change.field}: {_cell(value_text(change.before))} → {_cell(value_text(change.after))}"


def _table(kind: ActionKind, shown: list[str], total: int) -> list[str]:
    """A table of the ``total`` actions of ``kind``, of which ``shown`` are drawn."""
    title = f"{_TITLES[kind]} ({total})"
    if kind is ActionKind.RELEASE:
        title = f"⚠️ {title}"
    body = [_HEADERS[kind], *shown]
    if len(shown) < total:
        body.append(
            f"\n_{total - len(shown)} more rows not shown: the full plan is in the "
            "plan artifact (`exoplan plan --format json`)._"
        )
    table = "\n".join(body)
    if total > COLLAPSE_AFTER:
        return [f"<details><summary><b>{title}</b></summary>", "", table, "", "</details>", ""]
    return [f"#### {title}", "", table, ""]


def _drift_section(plan: Plan, drawn: list[str], max_rows: int) -> list[str]:
    parts = []
    if plan.drift:
        shown, total = drawn[:max_rows], len(plan.drift)
        body = ["| Number | Changed outside exoplan |", "| --- | --- |", *shown]
        if len(shown) < total:
            body.append(f"\n_{total - len(shown)} more rows not shown._")
        parts += [f"#### Changed outside exoplan ({total})", "", "\n".join(body), ""]
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
    lineage = plan.state_lineage[:SHORT_LINEAGE] if plan.state_lineage else "none yet"
    sha256 = plan.manifest_sha256[:SHORT_SHA256]
    return (
        f"<sub>manifest {markdown_code(plan.manifest_path)} sha256 {markdown_code(sha256)} · "
        f"state serial {plan.state_serial}, lineage {markdown_code(lineage)}</sub>"
    )
