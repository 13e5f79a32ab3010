"""The plain data of exoplan's read-only reports: drift of managed numbers and the
numbers nobody manages (``exoplan drift``), and what changed between two states
(``exoplan state diff``). Like :mod:`reconciler.model`, no I/O and no other imports
from the package but the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.model import Drift


@dataclass(frozen=True, slots=True)
class ManifestDrift:
    """What ``exoplan drift`` found for one manifest's state, or why it could not look."""

    path: str
    account_sid: str
    state_path: str
    drifts: tuple[Drift, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Unmanaged:
    """A number an account owns that none of the given manifests' states manages;
    ``listed_in`` names a manifest that lists it (``exoplan import`` adopts it)."""

    number: str
    account_sid: str
    sid: str | None
    friendly_name: str | None
    listed_in: str | None = None


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Drift of every manifest given, and the unmanaged numbers of their accounts;
    ``ignored`` counts unmanaged numbers matched by an ``unmanaged.ignore`` pattern."""

    manifests: tuple[ManifestDrift, ...]
    unmanaged: tuple[Unmanaged, ...] = ()
    ignored: int = 0

    @property
    def failed(self) -> bool:
        return any(m.error is not None for m in self.manifests)

    @property
    def has_drift(self) -> bool:
        return bool(self.unmanaged) or any(m.drifts for m in self.manifests)


@dataclass(frozen=True, slots=True)
class StateDelta:
    """One difference between two states: ``path`` into the state's JSON (e.g.
    ``("numbers", "+918030240001", "friendly_name")``), ``kind`` added, removed or changed."""

    path: tuple[str | int, ...]
    kind: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True, slots=True)
class StateRef:
    """One side of a state diff: where it was read, and its serial and lineage."""

    where: str
    serial: int
    lineage: str | None


@dataclass(frozen=True, slots=True)
class StateDiff:
    """What changed from the state ``before`` to the state ``after`` (serials aside)."""

    before: StateRef
    after: StateRef
    deltas: tuple[StateDelta, ...]
