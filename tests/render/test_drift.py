"""reconciler.render.drift: a drift report as text, Markdown and JSON, on plain data."""

from __future__ import annotations

import io
import json

from reconciler.model import Change, Drift
from reconciler.render.drift import MARKER, drift_markdown, render_drift
from reconciler.render.markdown import COMMENT_LIMIT
from reconciler.reports import DriftReport, ManifestDrift, Unmanaged


def unmanaged(count: int, name: str | None = None) -> tuple[Unmanaged, ...]:
    return tuple(Unmanaged(f"+91803025{i:04d}", "acme1", f"sid{i}", name) for i in range(count))


def report(
    *drifts: Drift, extra: tuple[Unmanaged, ...] = (), error: str | None = None
) -> DriftReport:
    found = ManifestDrift("numbers.yaml", "acme1", "numbers.state.json", drifts, error)
    return DriftReport((found,), extra)


def test_a_huge_report_fits_a_github_issue_and_says_what_it_cut() -> None:
    text = drift_markdown(report(extra=unmanaged(5_000, "x" * 200)))
    assert len(text) <= COMMENT_LIMIT
    assert text.startswith(MARKER + "\n### exoplan drift\n")
    assert "more rows not shown" in text and "Owned but not managed (5000)" in text


def test_an_error_is_shown_in_every_format() -> None:
    failed = report(error="HTTP 401 from Exotel: \x1b[31mbad key")
    outputs = {}
    for fmt in ("text", "markdown", "json"):
        out = io.StringIO()
        render_drift(failed, fmt, out)
        outputs[fmt] = out.getvalue()
    assert "  error: HTTP 401 from Exotel: \\x1b[31mbad key\n" in outputs["text"]
    assert "could not be checked" in outputs["text"]
    assert "**Error:** HTTP 401 from Exotel: \\\\x1b\\[31mbad key" in outputs["markdown"]
    data = json.loads(outputs["json"])
    assert (data["failed"], data["drift"]) == (True, False)
    assert "\x1b" not in outputs["json"]


def test_no_drift_says_so_and_counts_what_patterns_hid() -> None:
    quiet = DriftReport(report().manifests, (), ignored=3)
    out = io.StringIO()
    render_drift(quiet, "text", out)
    assert out.getvalue().endswith("No drift. (3 more ignored by unmanaged.ignore)\n")


def test_json_lists_changes_as_plans_do() -> None:
    changed = Drift("+918030240001", (Change("friendly_name", "A", "B"),), {"sid": "s"})
    out = io.StringIO()
    render_drift(report(changed), "json", out)
    (manifest,) = json.loads(out.getvalue())["manifests"]
    assert manifest["drift"] == [
        {
            "number": "+918030240001",
            "gone": False,
            "changes": [{"field": "friendly_name", "before": "A", "after": "B"}],
        }
    ]
