"""The plans of several manifests -> text | markdown | json.

Text: each manifest's plan under a heading naming its file and account, then one total
line. Markdown: one comment, a summary table first (manifest, account, counts, monthly
change), then each manifest's plan folded in a ``<details>`` block, within GitHub's
comment limit. JSON: ``{"format", "format_version", "manifests": [...], "totals"}``,
as ``schemas/plan.schema.json`` describes it; each plan as one manifest's JSON plan.
"""

from __future__ import annotations

import json
from typing import TextIO

from reconciler.plan.setfile import plan_set_to_data
from reconciler.plan.several import ManifestPlan, PlanSet, net_change, total_cost
from reconciler.render.escape import markdown, markdown_code, terminal, terminal_lines
from reconciler.render.markdown import COMMENT_LIMIT, MARKER, markdown_text
from reconciler.render.text import paint, render_text


def render_several(plans: PlanSet, fmt: str, out: TextIO, color: bool = False) -> None:
    if fmt == "json":
        json.dump(plan_set_to_data(plans), out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif fmt == "markdown":
        out.write(markdown_several(plans))
    else:
        _text(plans, out, color)


def heading(entry: ManifestPlan) -> str:
    """'== teams/acme.yaml (account acme1) ==', escaped for a terminal."""
    account = f" (account {entry.account_sid})" if entry.account_sid else ""
    return terminal(f"== {entry.path}{account} ==")


def _text(plans: PlanSet, out: TextIO, color: bool) -> None:
    for entry in plans.entries:
        out.write(paint(heading(entry), "1", color) + "\n")
        if entry.plan is not None:
            render_text(entry.plan, out, color=color)
        else:
            out.write(paint(terminal_lines(entry.error or ""), "31", color) + "\n")
        out.write("\n")
    out.write(total_line(plans) + "\n")


def total_line(plans: PlanSet) -> str:
    """'Total: 3 manifests, 2 to purchase, 1 to update, 0 to release; 1 failed.'"""
    totals = plans.totals()
    quarantine = f"{totals['quarantine']} to quarantine, " if totals["quarantine"] else ""
    failed = f"; {totals['failed']} failed" if totals["failed"] else ""
    cost = total_cost(plans)
    money = ", ".join(f"net {cost.net(c):+.2f} {terminal(c)}/month" for c in cost.currencies)
    return (
        f"Total: {totals['manifests']} manifests, {totals['purchase']} to purchase, "
        f"{totals['update']} to update, {quarantine}{totals['release']} to release"
        f"{'; ' + money if money else ''}{failed}."
    )


def markdown_several(plans: PlanSet, limit: int = COMMENT_LIMIT) -> str:
    """One comment: the summary table, then each manifest's plan in ``<details>``; each
    plan gets an equal share of the room the table leaves."""
    head = _summary(plans)
    share = max(1_000, (limit - len(head)) // max(1, len(plans.entries)) - 200)
    blocks = [_details(entry, share) for entry in plans.entries]
    text = "\n".join([head, *blocks])
    if len(text) > limit:
        note = "\n_Cut to fit a comment: the full plans are in `exoplan plan --format json`._\n"
        text = text[: limit - len(note)] + note
    return text


def _summary(plans: PlanSet) -> str:
    totals = plans.totals()
    lines = [
        MARKER,
        f"### exoplan plan for {totals['manifests']} manifests",
        "",
        "| Manifest | Account | Purchase | Update | Release | Monthly change |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for entry in plans.entries:
        lines.append(_summary_row(entry))
    lines += ["", f"**{markdown(total_line(plans))}**", ""]
    return "\n".join(lines)


def _summary_row(entry: ManifestPlan) -> str:
    account = markdown_code(entry.account_sid) if entry.account_sid else "?"
    if entry.plan is None:
        return f"| {markdown_code(entry.path)} | {account} | **failed** | | | |"
    counts = entry.plan.counts()
    return (
        f"| {markdown_code(entry.path)} | {account} | {counts['purchase']} | "
        f"{counts['update']} | {counts['release'] + counts['quarantine']} | "
        f"{markdown(net_change(entry.plan))} |"
    )


def _details(entry: ManifestPlan, limit: int) -> str:
    if entry.plan is not None:
        body = markdown_text(entry.plan, limit).replace(MARKER + "\n", "", 1)
    else:
        body = "\n".join(f"- {markdown(line)}" for line in (entry.error or "").split("\n"))
    account = f" (account {markdown(entry.account_sid)})" if entry.account_sid else ""
    return f"<details><summary>{markdown(entry.path)}{account}</summary>\n\n{body}\n\n</details>\n"
