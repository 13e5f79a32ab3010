"""Plan -> JSON (``--format json``), as ``schemas/plan.schema.json`` describes it."""

from __future__ import annotations

import json
from typing import TextIO

from reconciler.model import Plan
from reconciler.plan.planfile import plan_to_data


def render_json(plan: Plan, out: TextIO) -> None:
    json.dump(plan_to_data(plan), out, indent=2, ensure_ascii=False)
    out.write("\n")
