"""reconciler.render.json: Plan -> JSON, the saved-plan data exactly."""

from __future__ import annotations

import dataclasses
import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import Change, Drift, Plan
from reconciler.plan.planfile import plan_bytes, plan_to_data
from reconciler.render.json import render_json
from tests.support.plans import PURCHASE, RELEASE, UPDATE, plan_of


def test_json_is_the_plan_data() -> None:
    plan = plan_of(PURCHASE, UPDATE, RELEASE, unchanged=2)
    out = io.StringIO()
    render_json(plan, out)
    assert out.getvalue().endswith("}\n")
    assert json.loads(out.getvalue()) == plan_to_data(plan)


def stdlib_text(plan: Plan) -> bytes:
    """What ``json.dumps(..., indent=2, ensure_ascii=False)`` writes for ``plan``: the
    text JSON plans and saved plans had before orjson wrote them."""
    return (json.dumps(plan_to_data(plan), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    name=st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
    url=st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
    serial=st.integers(0, 2**63 - 1),
)
def test_json_is_byte_for_byte_what_the_standard_encoder_wrote(
    name: str, url: str, serial: int
) -> None:
    """Indentation, key order, escapes (control characters, quotes, backslashes) and
    non-ASCII text as before: scripts that compare JSON plans as text see no change."""
    renamed = dataclasses.replace(UPDATE, name=name, changes=(Change("friendly_name", url, name),))
    plan = dataclasses.replace(plan_of(PURCHASE, renamed, RELEASE), state_serial=serial)
    out = io.StringIO()
    render_json(plan, out)
    assert out.getvalue().encode("utf-8") == stdlib_text(plan)
    assert plan_bytes(plan) == stdlib_text(plan)


def test_an_integer_orjson_refuses_is_written_by_the_standard_encoder() -> None:
    """An answer from Exotel may carry any integer; the plan still writes it."""
    live = {"sid": "s1", "friendly_name": "x", "extra": 2**70}
    plan = dataclasses.replace(plan_of(PURCHASE), drift=(Drift("+918030240001", (), live),))
    assert b'"extra": 1180591620717411303424' in plan_bytes(plan)
    assert plan_bytes(plan) == stdlib_text(plan)
