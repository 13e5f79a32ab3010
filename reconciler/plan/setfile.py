"""The plans of several manifests <-> JSON data: ``--format json`` with several
manifests, and a saved plan of several manifests (``plan --out``), which apply takes
whole. Described by ``schemas/plan.schema.json`` (``$defs/plan_set``)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.errors import StateError, shorten
from reconciler.manifest.bounded import RefusedFile, read_bounded
from reconciler.plan.planfile import (
    MAX_PLAN_BYTES,
    load_plan,
    plan_from_data,
    plan_schema_part,
    plan_to_data,
)
from reconciler.plan.several import ManifestPlan, PlanSet, total_cost

#: What a document of several plans says it is.
FORMAT = "exoplan-plan-set"
FORMAT_VERSION = 1


def plan_set_to_data(plans: PlanSet) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "manifests": [
            {
                "path": entry.path,
                "account": entry.account_sid,
                "plan": plan_to_data(entry.plan) if entry.plan is not None else None,
                "error": entry.error,
            }
            for entry in plans.entries
        ],
        "totals": {**plans.totals(), "cost": total_cost(plans).to_data()},
    }


def plan_set_bytes(plans: PlanSet) -> bytes:
    """The bytes of a saved plan of several manifests."""
    text = json.dumps(plan_set_to_data(plans), indent=2, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


def load_saved(path: str) -> PlanSet | None:
    """A saved plan of several manifests at ``path``, or None when the file holds a
    plan of one (read it with ``load_plan``); StateError names a damaged file."""
    try:
        data = json.loads(read_bounded(path, MAX_PLAN_BYTES))
    except (OSError, ValueError, RefusedFile, RecursionError):
        load_plan(path)  # says what is wrong with the file, as for a plan of one
        raise
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    _validate(data, path)
    entries = [_entry(item, path) for item in data["manifests"]]
    return PlanSet(tuple(entries))


def _entry(item: dict[str, Any], path: str) -> ManifestPlan:
    if item["plan"] is None:
        raise StateError(
            f"{path}: the saved plan has no plan for {shorten(item['path'])} (it failed when "
            "planned): fix it and make a new plan"
        )
    return ManifestPlan(item["path"], item["account"], plan_from_data(item["plan"]))


def _validate(data: dict[str, Any], path: str) -> None:
    from jsonschema import Draft202012Validator

    error = next(iter(Draft202012Validator(plan_schema_part("plan_set")).iter_errors(data)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise StateError(
            f"{path}: damaged plan file at {shorten(where)}: {shorten(error.message, 200)}; "
            "make a new plan"
        )
