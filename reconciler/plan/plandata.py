"""The shape of a plan document (``--format json``, saved plans) as typed mappings:
what :mod:`reconciler.plan.planfile` reads back once ``schemas/plan.schema.json``
checked it, and ``Written``, the plain mappings its encoder is handed."""

from __future__ import annotations

from typing import Any, TypedDict

from reconciler.records import Marks, NumberRecord

#: What a plan's parts are written as: a mapping the encoder goes on into.
Written = dict[str, object]


class ChangeData(TypedDict):
    field: str
    before: Any
    after: Any


class DriftData(TypedDict):
    number: str
    gone: bool
    changes: list[ChangeData]
    live: NumberRecord | None


class RentalData(TypedDict, total=False):
    price: str
    currency: str | None


class _ActionCore(TypedDict):
    action: str
    number: str
    name: str | None
    sid: str | None
    protect: bool
    params: dict[str, str]
    changes: list[ChangeData]


class ActionData(_ActionCore, total=False):
    """An action as a plan document holds it."""

    rental: RentalData
    marks: Marks
    release_after: str
    usage: dict[str, Any]


class ScopeData(TypedDict):
    targets: list[str]
    excludes: list[str]
    selected: int
    total: int


class WaitingData(TypedDict):
    number: str
    name: str | None
    since: str
    release_after: str


class BreachData(TypedDict):
    kind: str
    count: int
    managed: int
    limit: float


class NeedData(TypedDict):
    pool: str
    missing: int


class StateRefData(TypedDict):
    path: str
    lineage: str | None
    serial: int


class _AccountCore(TypedDict):
    sid: str
    region: str


class AccountData(_AccountCore, total=False):
    credentials: dict[str, str]


class _PlanCore(TypedDict):
    format: str
    version: int
    account: AccountData
    manifest: dict[str, str]
    state: StateRefData
    summary: dict[str, int]
    actions: list[ActionData]


class PlanData(_PlanCore, total=False):
    """A plan document as read back (``schemas/plan.schema.json`` checked it first);
    the keys after ``actions`` may be missing from an older plan."""

    made_on: str | None
    min_idle_days: int
    ignore_usage: list[str]
    drift: list[DriftData]
    unmanaged: int | None
    waiting: list[WaitingData]
    breaches: list[BreachData]
    scope: ScopeData | None
    needs: list[NeedData]
    cost: Written
