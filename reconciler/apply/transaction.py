"""The one path that writes the state: lock -> load -> settle what an interrupted apply
left -> the command's change -> save. For apply the change is: journal -> execute ->
settle unknown purchases -> fold -> save -> drop the journal.

The state lives in a :class:`~reconciler.state.store.Store` (the file, or PostgreSQL);
apply, refresh, import and ``state rm`` open a :class:`StateTransaction` and settle
before they change anything, so no command can save over a journal it did not read;
``state migrate`` opens one on each store and refuses a journal left on either.
The command line only prompts and prints; messages for the user go through the
``report`` callback it passes in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import TracebackType

from reconciler.apply import recovery
from reconciler.apply.executor import Client, OnOutcome, Stop, execute
from reconciler.apply.fold import fold
from reconciler.apply.recovery import Reader
from reconciler.errors import ExoplanError, StateError
from reconciler.model import ApplyResult, Drift, Outcome, Plan, State
from reconciler.plan.drift import fold_drift
from reconciler.state.journal import JournalContents
from reconciler.state.store import FileStore, JournalWriter, Store

Report = Callable[[str], None]


def _silent(message: str) -> None:
    """The default report: say nothing."""


class StateTransaction:
    """Holds the state lock from the first read to the last write of one command."""

    def __init__(
        self,
        store: Store | str,
        command: str,
        lock_timeout: float = 0.0,
        report: Report = _silent,
    ) -> None:
        self.store = FileStore(store) if isinstance(store, str) else store
        self.path = self.store.where
        self.report = report
        self._lock = self.store.lock(command, lock_timeout)
        self.state = State(path=self.path)

    def __enter__(self) -> StateTransaction:
        try:
            self._lock.acquire()
            try:
                self.state = self.store.load()
            except BaseException:
                self._lock.release()
                raise
        except BaseException:
            self.store.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Let go of the lock, and of the store (the transaction closes it)."""
        try:
            self._lock.release()
        finally:
            self.store.close()

    def settle(self, reader: Callable[[], Reader]) -> None:
        """Fold in what an interrupted apply left in the journal, then save and remove it.

        ``reader`` builds the API client, only when an unconfirmed intent must be checked.
        When the account cannot be read, nothing is saved and StateError says why.
        """
        contents = self.store.read_journal()
        if contents is None:
            return
        if recovery.nothing_left(contents, self.state):
            self.store.journal().remove()
            return
        where = self.store.journal_where
        self.report(f"Found the journal of an interrupted apply ({where}); settling it first.")
        messages = recovery.fold_done(contents, self.state)
        journal = self.store.journal()
        journal.reopen(contents)
        try:
            if contents.pending:
                messages += self._settle_pending(contents, reader, journal)
        finally:
            journal.close()
        self._mark_folded(journal)
        self.store.save(self.state)
        journal.remove()
        for message in messages:
            self.report(f"  {message}")

    def _settle_pending(
        self, contents: JournalContents, reader: Callable[[], Reader], journal: JournalWriter
    ) -> list[str]:
        try:
            return recovery.settle_pending(contents, self.state, reader(), journal.write)
        except ExoplanError as exc:
            raise StateError(
                f"{journal.where}: an interrupted apply left {len(contents.pending)} action(s) "
                f"whose outcome is unknown, and checking them against the account failed "
                f"({exc}). Nothing was changed; fix that and run the command again"
            ) from None

    def _fold(self, outcome: Outcome) -> None:
        action, record = outcome.action, outcome.record or {}
        fold(
            self.state,
            action.kind,
            action.number,
            record,
            action.params,
            action.protect,
            action.marks,
        )

    def _mark_folded(self, journal: JournalWriter) -> None:
        self.state.journal_id = journal.id
        self.state.journal_folded = journal.count

    def record_drift(self, drift: tuple[Drift, ...]) -> None:
        """Take drift a refreshed plan showed into the state (saved with the next save)."""
        fold_drift(self.state, drift)

    def save(self) -> None:
        self.store.save(self.state)

    def put(self, state: State) -> None:
        """Write another store's ``state`` here as it is, lineage and serial kept, over
        what this transaction loaded (``state migrate``'s destination)."""
        self.store.put(state, self.state)
        self.state = dataclasses.replace(state, path=self.path)

    def apply(
        self,
        plan: Plan,
        client: Client,
        parallelism: int,
        on_outcome: OnOutcome | None = None,
        stop: Stop | None = None,
    ) -> ApplyResult:
        """Run the plan's actions, journalled (unknown purchases settled by one listing,
        see the executor); fold every confirmed outcome and save. The journal is removed unless a purchase
        is still unknown (the next command settles it)."""
        stop = stop or Stop()
        journal = self.store.journal()
        journal.open(self.state.lineage, self.state.serial)
        try:
            result = execute(plan.actions, client, journal, parallelism, on_outcome, stop)
        finally:
            journal.close()
        for outcome in result.outcomes:
            if outcome.ok:
                self._fold(outcome)
        self.state.account_sid = plan.account_sid
        self._mark_folded(journal)
        self.store.save(self.state)
        if not result.unsettled:
            journal.remove()
        return result
