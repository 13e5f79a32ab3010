"""Two states -> what changed between them, field by field (``exoplan state diff``).

deepdiff compares the two states' JSON forms; each difference it finds becomes a
:class:`~reconciler.reports.StateDelta` with its path into the state, sorted by path.
The serial is left out (it differs between any two versions) and shown with each side.
"""

from __future__ import annotations

from reconciler.model import State
from reconciler.reports import StateDelta, StateDiff, StateRef
from reconciler.state.serialise import to_data

#: deepdiff's report names -> what happened at that path.
_KINDS = {
    "values_changed": "changed",
    "type_changes": "changed",
    "dictionary_item_added": "added",
    "iterable_item_added": "added",
    "dictionary_item_removed": "removed",
    "iterable_item_removed": "removed",
}


def diff_states(before: State, after: State) -> StateDiff:
    """Every difference from ``before`` to ``after``, sorted by path."""
    from deepdiff import DeepDiff
    from deepdiff.helper import NotPresent

    old, new = _comparable(before), _comparable(after)
    found = DeepDiff(old, new, view="tree", threshold_to_diff_deeper=0)
    deltas = []
    for report, levels in found.items():
        kind = _KINDS.get(report, "changed")
        for level in levels:
            path = tuple(level.path(output_format="list"))
            was = None if isinstance(level.t1, NotPresent) else level.t1
            now = None if isinstance(level.t2, NotPresent) else level.t2
            deltas.append(StateDelta(path, kind, was, now))
    deltas.sort(key=lambda delta: [str(step) for step in delta.path])
    return StateDiff(_ref(before), _ref(after), tuple(deltas))


def _comparable(state: State) -> dict[str, object]:
    """The state document without its serial (which every write changes)."""
    return {key: value for key, value in to_data(state).items() if key != "serial"}


def _ref(state: State) -> StateRef:
    return StateRef(state.path, state.serial, state.lineage)
