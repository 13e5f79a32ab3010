"""exoplan's commands as library calls: what ``exoplan validate``, ``plan``, ``apply``,
``refresh``, ``import``, ``export`` and ``drift`` do, for programs (a deploy tool, a
notebook, a test). The command line is a thin shell over these.

Each call takes a frozen options dataclass and returns plain data (a Manifest, a Plan,
an Applied, a DriftReport, ...); it prints nothing (notes and warnings go to the
``report``/``warn`` callbacks given) and raises the errors of :mod:`reconciler.errors`
(all :class:`~reconciler.errors.ExoplanError`). Each imports its stage only when
called, so that ``validate`` never loads what ``apply`` needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.api.options import (
    ApiOptions,
    ApplyOptions,
    DriftOptions,
    ExportOptions,
    ImportOptions,
    PlanOptions,
    RefreshOptions,
    Report,
    Watch,
    silent,
    unwatched,
)
from reconciler.api.results import Applied, ApplyHooks, Execution, Exported, Imported, Refreshed

if TYPE_CHECKING:
    from reconciler.api.drifting import OnError
    from reconciler.model import Manifest, Plan
    from reconciler.reports import DriftReport

__all__ = [
    "ApiOptions",
    "Applied",
    "ApplyHooks",
    "ApplyOptions",
    "DriftOptions",
    "Execution",
    "ExportOptions",
    "Exported",
    "ImportOptions",
    "Imported",
    "PlanOptions",
    "RefreshOptions",
    "Refreshed",
    "apply",
    "check_budget",
    "drift",
    "export",
    "import_numbers",
    "plan",
    "refresh",
    "validate",
]


def validate(path: str) -> Manifest:
    """The manifest at ``path``, checked whole (ManifestError lists every problem)."""
    from reconciler.api.validating import validate as call

    return call(path)


def plan(
    options: PlanOptions,
    warn: Report = silent,
    manifest: Manifest | None = None,
    watch: Watch = unwatched,
) -> Plan:
    """The plan of a manifest against its state (or the live account, ``refresh``);
    ``manifest`` is the one at ``options.manifest`` when already loaded."""
    from reconciler.api.planning import plan as call

    return call(options, warn, manifest, watch)


def check_budget(plan: Plan) -> None:
    """Refuse (UnsafePlanError) a plan over its ``max_monthly_increase``."""
    from reconciler.plan.safety import check_budget as call

    call(plan)


def apply(options: ApplyOptions, hooks: ApplyHooks | None = None) -> Applied:
    """Check, confirm and apply a saved plan or the manifest's plan made now."""
    from reconciler.api.applying import apply as call

    return call(options, hooks or ApplyHooks())


def refresh(
    options: RefreshOptions, report: Report = silent, watch: Watch = unwatched
) -> Refreshed:
    """Record in the state what the account says of every managed number now."""
    from reconciler.api.account import refresh as call

    return call(options, report, watch)


def import_numbers(
    options: ImportOptions, report: Report = silent, watch: Watch = unwatched
) -> Imported:
    """Adopt numbers the account owns into the state, without buying them."""
    from reconciler.api.account import import_numbers as call

    return call(options, report, watch)


def export(options: ExportOptions, watch: Watch = unwatched) -> Exported:
    """A manifest of what the account owns now."""
    from reconciler.api.account import export as call

    return call(options, watch)


def drift(
    options: DriftOptions,
    warn: Report = silent,
    on_error: OnError | None = None,
    watch: Watch = unwatched,
) -> DriftReport:
    """What changed outside exoplan, for one manifest or several."""
    from reconciler.api.drifting import drift as call
    from reconciler.api.options import raise_error

    return call(options, warn, on_error or raise_error, watch)
