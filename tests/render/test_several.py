"""reconciler.render.several: the plans of several manifests as text, Markdown, JSON."""

from __future__ import annotations

import io
import json

from reconciler.plan.setfile import plan_set_to_data
from reconciler.plan.several import ManifestPlan, PlanSet
from reconciler.render.markdown import MARKER
from reconciler.render.several import markdown_several, render_several
from tests.support.plans import action, plan_of

BUY = plan_of(action("purchase", "+918030240001"), action("purchase", "+918030240002"))
CHANGE = plan_of(action("update", "+918030240003", sid="PN3"), unchanged=4)


def plans(*extra: ManifestPlan) -> PlanSet:
    return PlanSet(
        (
            ManifestPlan("teams/a.yaml", "acme1", BUY),
            ManifestPlan("teams/b.yaml", "acme1", CHANGE),
            *extra,
        )
    )


def text_of(plan_set: PlanSet, fmt: str = "text") -> str:
    out = io.StringIO()
    render_several(plan_set, fmt, out)
    return out.getvalue()


def test_text_has_a_section_per_manifest_and_a_total() -> None:
    failed = ManifestPlan("teams/c.yaml", None, None, "teams/c.yaml:1:1: broken\nerror: 1 problem")
    text = text_of(plans(failed))
    assert text.index("== teams/a.yaml (account acme1) ==") < text.index("== teams/b.yaml")
    assert "== teams/c.yaml ==\nteams/c.yaml:1:1: broken\nerror: 1 problem\n" in text
    assert text.rstrip().endswith(
        "Total: 3 manifests, 2 to purchase, 1 to update, 0 to release; 1 failed."
    )


def test_markdown_is_one_comment_a_table_then_a_details_block_each() -> None:
    text = markdown_several(plans())
    assert text.startswith(MARKER) and text.count(MARKER) == 1
    assert "| `teams/a.yaml` | `acme1` | 2 | 0 | 0 | 2 unpriced |" in text
    assert text.count("<details><summary>teams/") == 2


def test_markdown_values_cannot_break_out() -> None:
    hostile = ManifestPlan("x</details><!--|.yaml", "acme1", BUY)
    text = markdown_several(PlanSet((hostile,)))
    assert "</details><!--" not in text.replace("</details>\n", "")
    assert text.count("</details>") == 1


def test_markdown_stays_within_the_limit() -> None:
    many = PlanSet(tuple(ManifestPlan(f"m{i}.yaml", "acme1", BUY) for i in range(200)))
    assert len(markdown_several(many, limit=20_000)) <= 20_000


def test_json_of_several_is_a_plan_set() -> None:
    data = json.loads(text_of(plans(), "json"))
    assert data == json.loads(json.dumps(plan_set_to_data(plans())))
    assert [entry["path"] for entry in data["manifests"]] == ["teams/a.yaml", "teams/b.yaml"]
    assert data["totals"]["purchase"] == 2 and data["totals"]["unchanged"] == 4
