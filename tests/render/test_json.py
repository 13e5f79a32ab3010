"""reconciler.render.json: Plan -> JSON, the saved-plan data exactly."""

from __future__ import annotations

import io
import json

from reconciler.plan.planfile import plan_to_data
from reconciler.render.json import render_json
from tests.support.plans import PURCHASE, RELEASE, UPDATE, plan_of


def test_json_is_the_plan_data() -> None:
    plan = plan_of(PURCHASE, UPDATE, RELEASE, unchanged=2)
    out = io.StringIO()
    render_json(plan, out)
    assert out.getvalue().endswith("}\n")
    assert json.loads(out.getvalue()) == plan_to_data(plan)
