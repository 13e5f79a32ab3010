"""``state migrate``: copy the current state to another store (file <-> PostgreSQL),
lineage and serial kept: a transaction on each store, so both locks are held and
the destination is written through the one write path (:meth:`StateTransaction.put`).

Refused when the source has no state, when either side has an unsettled journal (its
outcomes are not in the state yet), when the destination holds a state of another
lineage, or one that is newer. The source is left as it is.
"""

from __future__ import annotations

from enum import Enum

from reconciler.apply import recovery
from reconciler.apply.transaction import StateTransaction
from reconciler.errors import StateError
from reconciler.model import State
from reconciler.state.store import Store


class Migrated(Enum):
    """What ``migrate`` did."""

    COPIED = "copied"
    ALREADY_THERE = "already there"


def migrate(
    source: Store, dest: Store, command: str, timeout: float = 0.0
) -> tuple[State, Migrated]:
    """Copy ``source``'s state to ``dest``; returns it and what was done. Closes both."""
    if source.where == dest.where:
        raise StateError(f"{dest.where} is where the state already is: nothing to migrate")
    try:
        with StateTransaction(source, command, timeout) as tx:
            state = tx.state
            if not state.exists:
                raise StateError(f"{source.where}: there is no state to migrate")
            refuse_unsettled(source, state)
            return state, _write(dest, state, command, timeout)
    finally:
        dest.close()


def _write(dest: Store, state: State, command: str, timeout: float) -> Migrated:
    """Write ``state`` into ``dest`` through its own transaction (its lock held)."""
    with StateTransaction(dest, command, timeout) as tx:
        there = tx.state
        refuse_unsettled(dest, there)
        _check_destination(dest, there, state)
        if there.exists and there.serial == state.serial:
            return Migrated.ALREADY_THERE
        tx.put(state)
        return Migrated.COPIED


def refuse_unsettled(store: Store, state: State) -> None:
    """A journal whose outcomes are not all in the state must be settled first."""
    contents = store.read_journal()
    if contents is None or recovery.nothing_left(contents, state):
        return
    raise StateError(
        f"{store.journal_where}: an interrupted apply left a journal that is not settled; "
        f"run `exoplan apply` (or `exoplan refresh`) against {store.where} first. Nothing "
        "was migrated"
    )


def _check_destination(dest: Store, there: State, state: State) -> None:
    if not there.exists:
        return
    if there.lineage != state.lineage:
        raise StateError(
            f"{dest.where} holds another state (lineage {there.lineage}, not {state.lineage}); "
            "refusing to overwrite it. Choose another destination (another name=)"
        )
    if there.serial > state.serial:
        raise StateError(
            f"{dest.where} is newer (serial {there.serial}) than the state being migrated "
            f"(serial {state.serial}); it is already the state in use. Nothing was migrated"
        )
