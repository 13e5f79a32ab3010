"""``exoplan apply`` over several manifests: every state locked, settled and checked,
one plan shown and one confirmation, then the accounts applied side by side.

Manifests of different accounts run at once, up to ``--jobs`` accounts, each paced by
its own client (Exotel's budgets are per account); manifests of one account run one
after another, so one budget is never shared by two clients. A manifest that fails
(credentials, refusals, failed actions) does not stop the others. A saved plan of
several manifests is applied whole or not at all: any manifest whose state moved, or
that cannot be checked, refuses it before the first request.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field

from reconciler.apply.executor import Stop
from reconciler.apply.transaction import StateTransaction
from reconciler.cli.apply import check_same_state, checked_plan, confirm, failure_advice
from reconciler.cli.io import EXIT_ERROR, EXIT_OK, note, say, use_color
from reconciler.cli.manifests import error_text, for_manifest, state_for
from reconciler.cli.options import api_options, open_state
from reconciler.cli.signals import GracefulStop
from reconciler.errors import ExoplanError, StateError
from reconciler.exotel.factory import ClientFactory
from reconciler.manifest.load import load_manifest
from reconciler.manifest.shared import check_shared_numbers
from reconciler.model import ApplyResult, Manifest, Outcome, Plan
from reconciler.plan.several import ManifestPlan, PlanSet, taken_elsewhere
from reconciler.render.escape import terminal, terminal_lines
from reconciler.render.progress import summary
from reconciler.render.several import render_several


@dataclass
class Job:
    """One manifest's part of the apply: what it plans, and how it ended."""

    path: str
    account: str | None
    plan: Plan | None = None
    error: str | None = None
    result: ApplyResult | None = None
    tx: StateTransaction | None = None
    factory: ClientFactory | None = None
    stop: Stop = field(default_factory=Stop)

    @property
    def failed(self) -> bool:
        return self.error is not None or (self.result is not None and self.result.failed)


def run_apply_several(args: argparse.Namespace, paths: list[str], saved: PlanSet | None) -> int:
    """Apply every manifest (or every plan of ``saved``); the exit code."""
    with ExitStack() as held:
        jobs = _prepare_all(args, paths, saved, held)
        render_several(_as_plans(jobs), "text", sys.stdout, use_color(args, sys.stdout))
        todo = [job for job in jobs if job.plan is not None and job.plan.has_changes]
        for job in jobs:
            if job.plan is not None and not job.plan.has_changes and job.plan.drift:
                assert job.tx is not None
                job.tx.save()  # drift a refreshed plan showed is recorded, as with one
        if not todo:
            return _finish(jobs, None)
        calls = sum(1 for plan in _plans(todo) for a in plan.actions if a.needs_api)
        say(estimate_all(calls, args.rate_limit, len({job.account for job in todo})))
        confirm(args)
        code = _execute_all(args, todo)
    return _finish(jobs, code)


def estimate_all(calls: int, rate_limit: float, accounts: int) -> str:
    """How many calls, and that each account is paced on its own budget."""
    pace = f"at most {rate_limit:g}/minute each" if rate_limit > 0 else "no client-side cap"
    return (
        f"These plans need {calls} API call(s) on {accounts} account(s), applied side by "
        f"side, each paced on its own budget ({pace})."
    )


def _prepare_all(
    args: argparse.Namespace, paths: list[str], saved: PlanSet | None, held: ExitStack
) -> list[Job]:
    """Lock, settle and check every manifest; with a saved plan, any failure refuses it."""
    if saved is None:
        return _prepare_manifests(args, paths, held)
    jobs = [_prepare(args, e.path, None, e.plan, (), held) for e in saved.entries]
    refused = [job for job in jobs if job.error is not None]
    if refused:
        raise SavedPlanRefused(
            f"{args.planfile}: the saved plan covers {len(jobs)} manifests and "
            f"{len(refused)} of them cannot be applied as planned; none was applied. "
            f"Make a new plan with `exoplan plan -f ... --out {args.planfile}`",
            [f"  {job.path}: {line}" for job in refused for line in _lines(job.error)],
        )
    return jobs


def _prepare_manifests(args: argparse.Namespace, paths: list[str], held: ExitStack) -> list[Job]:
    """Each manifest's job; a pool never picks what another manifest of its account
    lists or picked before it."""
    for path in paths:
        state_for(args, path)  # --state naming one state: refused first
    loaded = {path: _load(path) for path in paths}
    manifests = [m for m in loaded.values() if isinstance(m, Manifest)]
    check_shared_numbers(manifests)
    picked: dict[str, Plan | None] = {}
    jobs = []
    for path, item in loaded.items():
        others = [(m, picked.get(m.path)) for m in manifests]
        jobs.append(_prepare(args, path, item, None, others, held))
        picked[path] = jobs[-1].plan
    return jobs


class SavedPlanRefused(StateError):
    """A saved plan of several manifests refused whole; a line per manifest that
    refused it (each line escaped when printed, as every error line is)."""

    def __init__(self, message: str, details: list[str]) -> None:
        super().__init__(message)
        self.details = details

    def lines(self) -> list[str]:
        return [*super().lines(), *self.details]


def _lines(text: str | None) -> list[str]:
    return (text or "").removeprefix("error: ").split("\n")


def _load(path: str) -> Manifest | str:
    try:
        return load_manifest(path)
    except ExoplanError as exc:
        return error_text(exc)


def _prepare(
    args: argparse.Namespace,
    path: str,
    item: Manifest | str | None,
    saved: Plan | None,
    others: Sequence[tuple[Manifest, Plan | None]],
    held: ExitStack,
) -> Job:
    if isinstance(item, str):
        return Job(path, None, error=item)
    account = item.account.sid if item is not None else (saved and saved.account_sid)
    job = Job(path, account or None)
    one = for_manifest(args, path, several=True)
    try:
        manifest = item or _saved_manifest(saved, args.planfile)
        store = open_state(one, manifest)  # as plan chooses it, never by the plan file
        if saved is not None:
            check_same_state(saved, store.where, args.planfile)
        factory = ClientFactory.for_account(api_options(one), manifest, saved)
        job.factory = held.enter_context(factory)
        job.tx = held.enter_context(
            StateTransaction(store, "exoplan apply", args.lock_timeout, note)
        )
        taken = taken_elsewhere(manifest, others)
        job.plan = checked_plan(one, job.tx, job.factory, manifest, saved, taken)
    except ExoplanError as exc:
        job.error = error_text(exc)
    return job


def _saved_manifest(saved: Plan | None, planfile: str) -> Manifest:
    """The manifest a saved plan was made from, as it was reviewed (else an error)."""
    from reconciler.plan import safety

    assert saved is not None  # a job has a manifest or a saved plan
    manifest = load_manifest(saved.manifest_path)
    safety.check_manifest(saved, manifest, planfile)
    return manifest


def _plans(jobs: list[Job]) -> list[Plan]:
    return [job.plan for job in jobs if job.plan is not None]


def _as_plans(jobs: list[Job]) -> PlanSet:
    return PlanSet(tuple(ManifestPlan(j.path, j.account, j.plan, j.error) for j in jobs))


def _execute_all(args: argparse.Namespace, todo: list[Job]) -> int | None:
    """Apply the accounts side by side (their manifests in turn); the signal's exit
    code when one stopped the run, else None."""
    by_account: dict[str | None, list[Job]] = {}
    for job in todo:
        by_account.setdefault(job.account, []).append(job)
    stops = {account: Stop() for account in by_account}
    for account, jobs in by_account.items():
        for job in jobs:
            job.stop = stops[account]  # a 401 stops the rest of its account, no other
    everything = _AllStops(list(stops.values()))
    printer = _Printer()
    with GracefulStop(everything) as graceful:
        workers = max(1, min(args.jobs, len(by_account)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="account") as pool:
            futures = [
                pool.submit(_run_account, args, jobs, printer) for jobs in by_account.values()
            ]
            for future in futures:
                future.result()
    return graceful.exit_code


def _run_account(args: argparse.Namespace, jobs: list[Job], printer: _Printer) -> None:
    """One account's manifests, one after another."""
    for job in jobs:
        assert job.tx is not None and job.factory is not None and job.plan is not None
        if job.stop.is_set():
            job.error = f"not started: {job.stop.reason}"
            continue
        try:
            client = job.factory.client()
            job.result = job.tx.apply(
                job.plan, client, args.parallelism, printer.for_job(job), job.stop
            )
        except ExoplanError as exc:
            job.error = error_text(exc)


class _Printer:
    """One line per finished action, prefixed with its manifest; lines never mix."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def for_job(self, job: Job) -> Callable[[Outcome], None]:
        def show(outcome: Outcome) -> None:
            action = outcome.action
            verdict = "done" if outcome.ok else ("unknown" if outcome.unknown else "failed")
            detail = outcome.error if not outcome.ok else outcome.detail
            line = f"{job.path}: {action.kind.value} {action.number}: {verdict}"
            with self._lock:
                say(terminal(f"{line} {detail}".rstrip()))

        return show


class _AllStops(Stop):
    """The stop a signal sets: it stops every account's run."""

    def __init__(self, stops: list[Stop]) -> None:
        super().__init__()
        self.stops = stops

    def set(self, reason: str) -> bool:
        self.in_flight = sum(stop.in_flight for stop in self.stops)
        first = super().set(reason)
        for stop in self.stops:
            stop.set(reason)
        return first


def _finish(jobs: list[Job], signal_code: int | None) -> int:
    """A line per manifest and a total; the exit code."""
    say("")
    for job in jobs:
        say(terminal(f"{job.path}: {_verdict(job)}"))
    failed = [job for job in jobs if job.failed]
    say(
        f"Apply finished: {len(jobs) - len(failed)} of {len(jobs)} manifests ok, {len(failed)} failed."
    )
    for job in failed:
        if job.result is not None and job.result.failed:
            note(terminal_lines(f"{job.path}:\n{failure_advice(job.result)}"))
    if signal_code:
        return signal_code
    return EXIT_ERROR if failed else EXIT_OK


def _verdict(job: Job) -> str:
    if job.result is not None:
        head = "failed: " if job.result.failed else ""
        return f"{head}{summary(job.result)}"
    if job.error is not None:
        return f"failed: {job.error}"
    return "no changes"
