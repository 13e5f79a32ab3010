"""Plan -> JSON (``--format json``), as ``schemas/plan.schema.json`` describes it."""

from __future__ import annotations

from typing import TextIO

from reconciler.model import Plan
from reconciler.plan.planfile import plan_bytes


def render_json(plan: Plan, out: TextIO) -> None:
    data = plan_bytes(plan)
    binary = getattr(out, "buffer", None)
    if binary is None:  # a text-only handle (a StringIO)
        out.write(data.decode("utf-8"))
        return
    out.flush()  # whatever was written as text goes first
    binary.write(data)
    binary.flush()
