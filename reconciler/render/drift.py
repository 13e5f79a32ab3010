"""A drift report (``exoplan drift``) -> terminal text, Markdown or JSON. Formatting only.

Every value from Exotel, a state or a manifest goes through
:mod:`reconciler.render.escape` (text and Markdown), as in plans; the JSON is written
with every non-ASCII character escaped, so no value reaches a terminal raw. The Markdown
starts with a hidden marker (for the issue a scheduled workflow keeps) and stays within
GitHub's 65,536 characters less the room CI keeps, by cutting table rows.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from reconciler.model import Drift
from reconciler.render.escape import markdown, markdown_code, terminal, terminal_lines
from reconciler.render.markdown import COMMENT_LIMIT
from reconciler.render.text import drift_block, paint, quoted, value_text
from reconciler.reports import DriftReport, ManifestDrift, Unmanaged

MARKER = "<!-- exoplan-drift -->"
FORMAT_VERSION = 1
_IMPORT_HINT = "`exoplan import NUMBER` adopts one; a pattern under `unmanaged.ignore` hides it"


def render_drift(report: DriftReport, fmt: str, out: TextIO, color: bool = False) -> None:
    if fmt == "json":
        json.dump(drift_to_data(report), out, indent=2, ensure_ascii=True)
        out.write("\n")
    elif fmt == "markdown":
        out.write(drift_markdown(report))
    else:
        out.write(drift_text(report, color))


# -- text ---------------------------------------------------------------------------


def drift_text(report: DriftReport, color: bool = False) -> str:
    parts = [_manifest_text(found, color) for found in report.manifests]
    if report.unmanaged:
        parts.append(_unmanaged_text(report, color))
    parts.append(summary_line(report))
    return "\n".join(parts) + "\n"


def _manifest_text(found: ManifestDrift, color: bool) -> str:
    head = (
        f"{terminal(found.path)} (account {terminal(found.account_sid)}, "
        f"state {terminal(found.state_path)}):\n"
    )
    if found.error is not None:
        return head + f"  error: {terminal_lines(found.error)}\n"
    if not found.drifts:
        return head + "  no drift: every managed number is as the state records it\n"
    return head + "".join(drift_block(drift, color) for drift in found.drifts)


def _unmanaged_text(report: DriftReport, color: bool) -> str:
    lines = [f"Owned, but managed by none of these manifests ({_IMPORT_HINT}):"]
    for item in report.unmanaged:
        line = f"  {paint('?', '36', color)} {terminal(item.number)}"
        line += f"  account {terminal(item.account_sid)}"
        if item.friendly_name:
            line += f"  {quoted(item.friendly_name)}"
        if item.listed_in:
            line += f"  (listed in {terminal(item.listed_in)}, not in its state)"
        lines.append(line)
    return "\n".join(lines) + "\n"


def summary_line(report: DriftReport) -> str:
    changed = sum(len(found.drifts) for found in report.manifests)
    failed = sum(1 for found in report.manifests if found.error is not None)
    ignored = f" ({report.ignored} more ignored by unmanaged.ignore)" if report.ignored else ""
    if not changed and not report.unmanaged:
        verdict = "No drift." if not failed else "No drift found where exoplan could look."
    else:
        verdict = (
            f"Drift: {changed} managed number(s) changed or gone outside exoplan, "
            f"{len(report.unmanaged)} unmanaged number(s)."
        )
    errors = f" {failed} manifest(s) could not be checked." if failed else ""
    return f"{verdict}{ignored}{errors}"


# -- Markdown -----------------------------------------------------------------------


def drift_markdown(report: DriftReport, limit: int = COMMENT_LIMIT) -> str:
    """The whole Markdown report, with table rows cut as needed to stay within ``limit``."""
    rows = max([len(f.drifts) for f in report.manifests] + [len(report.unmanaged)])
    while True:
        text = _compose(report, rows)
        if len(text) <= limit or rows == 0:
            break
        rows //= 2
    if len(text) > limit:
        note = "\n\n_Cut to fit: the full report is in `exoplan drift --format json`._\n"
        text = text[: limit - len(note)] + note
    return text


def _compose(report: DriftReport, max_rows: int) -> str:
    parts = [MARKER, "### exoplan drift", "", markdown(summary_line(report)), ""]
    for found in report.manifests:
        parts += _manifest_markdown(found, max_rows)
    if report.unmanaged:
        rows = [_unmanaged_row(item) for item in report.unmanaged]
        header = "| Number | Account | Name | Note |\n| --- | --- | --- | --- |"
        title = f"#### Owned but not managed ({len(rows)})"
        parts += [title, "", _table(header, rows, max_rows), "", _IMPORT_HINT + ".", ""]
    return "\n".join(parts)


def _manifest_markdown(found: ManifestDrift, max_rows: int) -> list[str]:
    title = (
        f"#### {markdown_code(found.path)} (account {markdown_code(found.account_sid)}, "
        f"state {markdown_code(found.state_path)})"
    )
    if found.error is not None:
        return [title, "", f"**Error:** {markdown(found.error)}", ""]
    if not found.drifts:
        return [title, "", "No drift.", ""]
    rows = [_drift_row(drift) for drift in found.drifts]
    header = "| Number | Changed outside exoplan |\n| --- | --- |"
    return [title, "", _table(header, rows, max_rows), ""]


def _table(header: str, rows: list[str], max_rows: int) -> str:
    shown = rows[:max_rows]
    more = [f"\n_{len(rows) - len(shown)} more rows not shown._"] if len(shown) < len(rows) else []
    return "\n".join([header, *shown, *more])


def _drift_row(drift: Drift) -> str:
    if drift.gone:
        return f"| {markdown_code(drift.number)} | **no longer owned** (released outside exoplan) |"
    changes = "<br>".join(
        f"{c.field}: {markdown(value_text(c.before))} → {markdown(value_text(c.after))}"
        for c in drift.changes
    )
    return f"| {markdown_code(drift.number)} | {changes} |"


def _unmanaged_row(item: Unmanaged) -> str:
    note = f"listed in {markdown_code(item.listed_in)}, not in its state" if item.listed_in else ""
    name = markdown(item.friendly_name or "")
    return f"| {markdown_code(item.number)} | {markdown_code(item.account_sid)} | {name} | {note} |"


# -- JSON ---------------------------------------------------------------------------


def drift_to_data(report: DriftReport) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "drift": report.has_drift,
        "failed": report.failed,
        "manifests": [_manifest_data(found) for found in report.manifests],
        "unmanaged": [
            {
                "number": item.number,
                "account": item.account_sid,
                "sid": item.sid,
                "friendly_name": item.friendly_name,
                "listed_in": item.listed_in,
            }
            for item in report.unmanaged
        ],
        "ignored_unmanaged": report.ignored,
    }


def _manifest_data(found: ManifestDrift) -> dict[str, Any]:
    return {
        "path": found.path,
        "account": found.account_sid,
        "state": found.state_path,
        "error": found.error,
        "drift": [
            {
                "number": drift.number,
                "gone": drift.gone,
                "changes": [
                    {"field": c.field, "before": c.before, "after": c.after} for c in drift.changes
                ],
            }
            for drift in found.drifts
        ],
    }
