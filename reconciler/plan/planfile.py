"""Plan <-> JSON data: the ``--format json`` output and saved plan files (``--out``).

Described by ``schemas/plan.schema.json``. A saved plan carries the state lineage and
serial it was made against, the manifest's sha256 and the day it was made, so apply can
refuse it when either input moved and make the same plan again to compare.

Written by orjson in one pass: the encoder asks :func:`_encode` for each plan, action,
change and drift as it reaches it, so no copy of every action is ever built, and the
text is the one ``json.dumps(..., indent=2, ensure_ascii=False)`` writes (held to it by a
test). What orjson refuses (an integer beyond 64 bits in an answer Exotel gave) goes
through ``json`` with the same :func:`_encode`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from reconciler.errors import StateError, shorten
from reconciler.manifest import strictjson
from reconciler.manifest.bounded import RefusedFile, read_bounded
from reconciler.model import (
    DEFAULT_KEY_ENV,
    DEFAULT_MIN_IDLE_DAYS,
    DEFAULT_TOKEN_ENV,
    Action,
    ActionKind,
    Breach,
    Change,
    Drift,
    Plan,
    PoolNeed,
    Quarantined,
    Scope,
    Usage,
)
from reconciler.plan.cost import monthly_cost
from reconciler.plan.plandata import (
    ActionData,
    ChangeData,
    PlanData,
    RentalData,
    ScopeData,
    Written,
)
from reconciler.plan.safety import budget_problem

FORMAT = "exoplan-plan"
VERSION = 2  # 2: the usage guard (min_idle_days, ignore_usage, usage)


def plan_to_data(plan: Plan) -> PlanData:
    """The plan as JSON data (what :func:`plan_bytes` writes, read back)."""
    result: PlanData = json.loads(plan_bytes(plan))
    return result


def _plan_fields(plan: Plan) -> Written:
    return {
        "format": FORMAT,
        "version": VERSION,
        "account": _account_to_data(plan),
        "manifest": {"path": plan.manifest_path, "sha256": plan.manifest_sha256},
        "state": {
            "path": plan.state_path,
            "lineage": plan.state_lineage,
            "serial": plan.state_serial,
        },
        "made_on": plan.made_on,
        "summary": plan.counts(),
        "actions": plan.actions,
        "min_idle_days": plan.min_idle_days,
        "ignore_usage": plan.ignore_usage,
        "drift": plan.drift,
        "unmanaged": plan.unmanaged,
        "waiting": plan.waiting,
        "breaches": plan.breaches,
        "scope": plan.scope,
        "needs": plan.needs,
        "cost": _cost_to_data(plan),
    }


def _account_to_data(plan: Plan) -> Written:
    """The account; the credentials' variables only when the manifest named its own."""
    data: Written = {"sid": plan.account_sid, "region": plan.region}
    if (plan.key_env, plan.token_env) != (DEFAULT_KEY_ENV, DEFAULT_TOKEN_ENV):
        data["credentials"] = {"key_env": plan.key_env, "token_env": plan.token_env}
    return data


def _cost_to_data(plan: Plan) -> Written:
    return {
        **monthly_cost(plan).to_data(),
        "max_monthly_increase": plan.max_monthly_increase,
        "over_budget": budget_problem(plan) or None,
    }


def _scope_from_data(data: ScopeData | None) -> Scope | None:
    if data is None:
        return None
    targets, excludes = tuple(data["targets"]), tuple(data["excludes"])
    return Scope(targets, excludes, data["selected"], data["total"])


def _change_to_data(change: Change) -> Written:
    return {"field": change.field, "before": change.before, "after": change.after}


def _changes_from_data(items: list[ChangeData]) -> tuple[Change, ...]:
    return tuple(Change(c["field"], c["before"], c["after"]) for c in items)


def _drift_to_data(drift: Drift) -> Written:
    return {
        "number": drift.number,
        "gone": drift.gone,
        "changes": drift.changes,
        "live": drift.live,
    }


def _action_to_data(action: Action) -> Written:
    data: Written = {
        "action": action.kind.value,
        "number": action.number,
        "name": action.name,
        "sid": action.sid,
        "protect": action.protect,
        "params": action.params,
        "changes": action.changes,
    }
    if action.rental_price is not None:
        data["rental"] = {"price": action.rental_price, "currency": action.currency}
    if action.marks:
        data["marks"] = action.marks
    if action.release_after is not None:
        data["release_after"] = action.release_after
    if action.kind is ActionKind.RELEASE:
        data["usage"] = action.usage  # None, or written field by field
    return data


def plan_from_data(data: PlanData) -> Plan:
    """The inverse of :func:`plan_to_data`; ``data`` must already match the schema."""
    actions = tuple(_action_from_data(item) for item in data["actions"])
    return Plan(
        actions=actions,
        account_sid=data["account"]["sid"],
        region=data["account"]["region"],
        manifest_path=data["manifest"]["path"],
        manifest_sha256=data["manifest"]["sha256"],
        state_path=data["state"]["path"],
        state_lineage=data["state"]["lineage"],
        state_serial=data["state"]["serial"],
        unchanged=data["summary"]["unchanged"],
        drift=tuple(
            Drift(d["number"], _changes_from_data(d["changes"]), d["live"])
            for d in data.get("drift", [])
        ),
        unmanaged=data.get("unmanaged"),
        waiting=tuple(Quarantined(**item) for item in data.get("waiting", [])),
        breaches=tuple(Breach(**item) for item in data.get("breaches", [])),
        scope=_scope_from_data(data.get("scope")),
        needs=tuple(PoolNeed(**item) for item in data.get("needs", [])),
        max_monthly_increase=_budget(data),
        made_on=data.get("made_on"),
        min_idle_days=data.get("min_idle_days", DEFAULT_MIN_IDLE_DAYS),
        ignore_usage=tuple(data.get("ignore_usage", ())),
        **_credentials_from_data(data["account"].get("credentials")),
    )


def _credentials_from_data(data: dict[str, str] | None) -> dict[str, str]:
    """The key and token variables a saved plan names (a plan saved before they were
    recorded used the defaults)."""
    return {} if data is None else {"key_env": data["key_env"], "token_env": data["token_env"]}


def _budget(data: PlanData) -> str | None:
    """The --max-monthly-increase a plan was made with (a decimal string), if any."""
    limit = (data.get("cost") or {}).get("max_monthly_increase")
    return limit if isinstance(limit, str) else None


def _action_from_data(item: ActionData) -> Action:
    rental: RentalData = item.get("rental") or {}
    return Action(
        kind=ActionKind(item["action"]),
        number=item["number"],
        name=item.get("name"),
        changes=_changes_from_data(item["changes"]),
        params=dict(item["params"]),
        sid=item.get("sid"),
        protect=bool(item.get("protect", False)),
        rental_price=rental.get("price"),
        currency=rental.get("currency"),
        marks=dict(item.get("marks") or {}),
        release_after=item.get("release_after"),
        usage=Usage(**item["usage"]) if item.get("usage") else None,
    )


def _fields(item: Any) -> Written:
    """Any other dataclass of a plan (waiting, breaches, scope, needs), field by field."""
    if not dataclasses.is_dataclass(item) or isinstance(item, type):
        raise TypeError(f"{type(item).__name__} is not part of a plan")
    return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}


_ENCODERS: dict[type, Callable[[Any], Written]] = {
    Plan: _plan_fields,
    Action: _action_to_data,
    Change: _change_to_data,
    Drift: _drift_to_data,
}


def _encode(item: Any) -> Any:
    """A plan's parts as the mappings the JSON plan shows, when the encoder meets them."""
    return _ENCODERS.get(type(item), _fields)(item)


def plan_bytes(plan: Plan) -> bytes:
    """The bytes of a JSON plan (``--format json``) and of a saved plan file (``--out``)."""
    import orjson

    options = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_APPEND_NEWLINE
    try:
        return orjson.dumps(plan, default=_encode, option=options)
    except orjson.JSONEncodeError:
        text = json.dumps(plan, default=_encode, indent=2, ensure_ascii=False)
        return text.encode("utf-8") + b"\n"


def load_plan(path: str) -> Plan:
    """Read and check a saved plan file; raises StateError naming the file."""
    try:
        data = strictjson.loads(read_bounded(path, MAX_PLAN_BYTES))
        _validate(data, path)
    except strictjson.NonFiniteNumber as exc:
        raise StateError(
            f"{path}: damaged plan file at {exc.where}: {exc.word} is not a finite number "
            "(exoplan never writes one); make a new plan"
        ) from None
    except FileNotFoundError:
        raise StateError(
            f"{path}: plan file not found; create one with `exoplan plan --out {path}`"
        ) from None
    except RefusedFile as exc:
        raise StateError(f"{path}: the plan file {exc}; make a new plan") from None
    except RecursionError:
        raise StateError(f"{path}: not an exoplan plan file (nested too deeply)") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else shorten(str(exc))
        raise StateError(f"{path}: not a readable exoplan plan file ({reason})") from None
    plan = plan_from_data(data)
    _check_figures(data, plan, path)
    return plan


def _check_figures(data: PlanData, plan: Plan, path: str) -> None:
    """Refuse a plan whose summary or cost (the budget's verdict included) is not what
    its actions and budget give: it was edited after it was made."""
    wrong = [] if data["summary"] == plan.counts() else ["summary"]
    if "cost" in data and data["cost"] != _cost_to_data(plan):
        wrong.append("cost")
    if wrong:
        raise StateError(
            f"{path}: the plan's {' and '.join(wrong)} {'do' if len(wrong) > 1 else 'does'} "
            "not follow from its actions and budget: it was changed after it was made. "
            "Nothing was sent. Make a new plan "
            f"with `exoplan plan --out {path}` and review it"
        )


#: The largest saved plan read (a plan of every number of a huge account is far smaller).
MAX_PLAN_BYTES = 256 << 20


def _validate(data: Any, path: str) -> None:
    from jsonschema import Draft202012Validator

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateError(f'{path}: not an exoplan plan file (no "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        raise StateError(
            f"{path}: a plan file of version {shorten(repr(data.get('version')))}, but this "
            f"exoplan reads version {VERSION}; make a new plan with `exoplan plan --out {path}`"
        )
    error = next(iter(Draft202012Validator(plan_schema_part("plan")).iter_errors(data)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise StateError(
            f"{path}: damaged plan file at {shorten(where)}: {shorten(error.message, 200)}; "
            "make a new plan"
        )
    if data.get("made_on") is not None and not _is_date(data["made_on"]):
        raise StateError(
            f"{path}: damaged plan file at made_on: {shorten(repr(data['made_on']))} is not a "
            "day; make a new plan"
        )


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def plan_schema_part(name: str) -> dict[str, Any]:
    """The plan schema narrowed to one of its shapes (``plan`` or ``plan_set``), so that a
    damaged file's first error is about its own shape, not that it fits neither."""
    from reconciler.manifest.schema import schema

    full = schema("plan")
    return {**{k: v for k, v in full.items() if k != "oneOf"}, "$ref": f"#/$defs/{name}"}
