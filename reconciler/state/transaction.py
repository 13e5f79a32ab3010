"""The apply's bookkeeping, in one place: lock -> load -> settle what an interrupted apply
left -> journal -> execute -> fold -> save -> drop the journal.

The command line only prompts and prints: it opens a :class:`StateTransaction`, asks it
to settle, plans against ``transaction.state``, and hands it the actions to run.
Messages for the user go through the ``report`` callback it passes in.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from reconciler.model import ApplyResult, Drift, Plan, State
from reconciler.plan.drift import fold_drift
from reconciler.state.executor import Client, OnOutcome, execute
from reconciler.state.file import load_state, save_state
from reconciler.state.fold import fold
from reconciler.state.journal import Journal, journal_path, read_journal
from reconciler.state.lock import StateLock
from reconciler.state.recovery import Reader, already_folded, fold_done, settle_pending

Report = Callable[[str], None]


def _silent(message: str) -> None:
    """The default report: say nothing."""


class StateTransaction:
    """Holds the state lock from the first read to the last write of one command."""

    def __init__(
        self, path: str, command: str, lock_timeout: float = 0.0, report: Report = _silent
    ) -> None:
        self.path = path
        self.report = report
        self._lock = StateLock(path, command, lock_timeout)
        self.state = State(path=path)

    def __enter__(self) -> StateTransaction:
        self._lock.acquire()
        try:
            self.state = load_state(self.path)
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()

    def settle(self, reader: Callable[[], Reader]) -> None:
        """Fold in what an interrupted apply left in the journal, then save and remove it.

        ``reader`` builds the API client, only when an unconfirmed intent must be checked.
        """
        path = journal_path(self.path)
        contents = read_journal(path)
        if contents is None:
            return
        if already_folded(contents, self.state):
            Journal(path).remove()
            return
        self.report(f"Found the journal of an interrupted apply ({path}); settling it first.")
        messages = fold_done(contents, self.state)
        if contents.pending:
            messages += settle_pending(contents, self.state, reader())
        save_state(self.state)
        Journal(path).remove()
        for message in messages:
            self.report(f"  {message}")

    def record_drift(self, drift: tuple[Drift, ...]) -> None:
        """Take drift a refreshed plan showed into the state (saved with the next save)."""
        fold_drift(self.state, drift)

    def save(self) -> None:
        save_state(self.state)

    def apply(
        self, plan: Plan, client: Client, parallelism: int, on_outcome: OnOutcome | None = None
    ) -> ApplyResult:
        """Run the plan's actions, journalled; fold every confirmed outcome and save."""
        journal = Journal(journal_path(self.path))
        journal.open(self.state.lineage, self.state.serial)
        try:
            result = execute(plan.actions, client, journal, parallelism, on_outcome)
        finally:
            journal.close()
        for outcome in result.outcomes:
            if outcome.ok:
                action = outcome.action
                record = outcome.record or {}
                fold(self.state, action.kind, action.number, record, action.params, action.protect)
        self.state.account_sid = plan.account_sid
        save_state(self.state)
        journal.remove()
        return result
