"""The calls that read the live account: ``refresh`` (state <- account), ``import_numbers``
(adopt owned numbers without buying) and ``export`` (account -> a manifest's text)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.api.inputs import open_state
from reconciler.api.options import (
    ExportOptions,
    ImportOptions,
    RefreshOptions,
    Report,
    Watch,
    silent,
    unwatched,
)
from reconciler.api.results import Exported, Imported, Refreshed
from reconciler.apply.fold import adopt
from reconciler.apply.recovery import ListedOnce
from reconciler.apply.transaction import StateTransaction
from reconciler.errors import ExoplanError, UsageError
from reconciler.exotel.factory import ApiOptions, ClientFactory
from reconciler.manifest.load import load_manifest
from reconciler.manifest.numbers import InvalidNumber, normalise
from reconciler.model import Manifest, State
from reconciler.plan import drift as drifts
from reconciler.plan import safety
from reconciler.records import Owned
from reconciler.render.export import manifest_text
from reconciler.state.file import new_state


@contextmanager
def _settled_and_listed(
    manifest: Manifest,
    state: str | None,
    lock_timeout: float,
    api: ApiOptions,
    command: str,
    report: Report,
    watch: Watch = unwatched,
) -> Iterator[tuple[StateTransaction, Owned]]:
    """The manifest's state, locked and settled, and what the account owns now: one
    listing, shared with settling a journal that needs one."""
    store = open_state(manifest, state)
    factory = ClientFactory.for_account(api, manifest)
    with StateTransaction(store, command, lock_timeout, report) as tx, factory:
        safety.check_account(manifest, tx.state)
        reader = ListedOnce(factory.client)
        with watch(factory):
            tx.settle(lambda: reader)
            owned = reader.owned_index()
        yield tx, owned


def refresh(
    options: RefreshOptions, report: Report = silent, watch: Watch = unwatched
) -> Refreshed:
    """Record in the state what the account says of every managed number now."""
    manifest = load_manifest(options.manifest)
    with _settled_and_listed(
        manifest, options.state, options.lock_timeout, options.api, "exoplan refresh", report, watch
    ) as (tx, owned):
        state = tx.state
        found = drifts.detect(state, owned, manifest)
        updated = drifts.refreshed(state, owned)
        finished = _forget_finished_releases(state, owned)
        saved = updated.numbers != state.numbers or bool(finished)
        if saved:
            state.numbers = updated.numbers
            tx.save()
        unmanaged = len(drifts.unmanaged(state, owned))
        return Refreshed(state.path, tuple(found), saved, state.serial, finished, unmanaged)


def import_numbers(
    options: ImportOptions, report: Report = silent, watch: Watch = unwatched
) -> Imported:
    """Adopt owned numbers into the state without buying them."""
    manifest = load_manifest(options.manifest)
    if not options.numbers and not options.all:
        raise UsageError(
            "name the numbers to import, or pass --all to adopt every owned number the manifest lists"
        )
    wanted = _wanted_numbers(options.numbers, manifest)
    with _settled_and_listed(
        manifest, options.state, options.lock_timeout, options.api, "exoplan import", report, watch
    ) as (tx, owned):
        targets, pending = _import_targets(options.all, manifest, tx.state, wanted, owned)
        _forget_finished_releases(tx.state, owned)
        fresh = [n for n in targets if n not in tx.state.numbers]
        if not tx.state.exists:
            tx.state = new_state(tx.state.path, manifest.account.sid)
        for number in fresh:
            spec = manifest.numbers.get(number)
            adopt(tx.state, number, owned[number], protect=bool(spec and spec.protect))
        if fresh:
            tx.state.account_sid = manifest.account.sid
            tx.save()
    done = tuple((number, owned[number].get("sid")) for number in fresh)
    already = tuple(sorted(set(targets) - set(fresh)))
    return Imported(tx.state.path, done, already, tuple(pending))


def _wanted_numbers(written: tuple[str, ...], manifest: Manifest) -> list[str]:
    wanted, bad = [], []
    for text in written:
        try:
            wanted.append(normalise(text, manifest.account.default_country))
        except InvalidNumber as exc:
            bad.append(str(exc))
    if bad:
        raise UsageError("; ".join(bad) + ": nothing was imported")
    return wanted


def _import_targets(
    every: bool, manifest: Manifest, state: State, wanted: list[str], owned: Owned
) -> tuple[list[str], list[str]]:
    """The numbers to import, and those left out while their release is pending."""
    missing = [number for number in wanted if number not in owned]
    if missing:
        raise UsageError(
            f"account {manifest.account.sid} does not own {', '.join(missing)}: only owned numbers can "
            "be imported (exoplan apply buys missing ones); nothing was imported"
        )
    targets = list(dict.fromkeys(wanted))
    pending: list[str] = []
    if every:
        pending = [n for n in manifest.numbers if n in owned and _releasing(state, n, owned)]
        extra = [n for n in manifest.numbers if n in owned and n not in targets + pending]
        targets += extra
    return targets, pending


def _forget_finished_releases(state: State, owned: Owned) -> int:
    """Forget the releases the account no longer lists (under the sid released): they are
    finished. Returns how many."""
    finished = [n for n in state.releasing if not _releasing(state, n, owned)]
    for number in finished:
        del state.releasing[number]
    return len(finished)


def _releasing(state: State, number: str, owned: Owned) -> bool:
    """Whether ``number`` is listed only because the release this state recorded is not
    finished at Exotel yet (the same sid is still listed)."""
    released, listed = state.releasing.get(number), owned.get(number)
    return released is not None and listed is not None and released.get("sid") == listed.get("sid")


def export(options: ExportOptions, watch: Watch = unwatched) -> Exported:
    """A manifest of what the account owns now (nothing is written)."""
    account_sid, region, quarantine_app = _export_account(options)
    factory = ClientFactory(
        account_sid,
        region,
        rate_limit=options.api.rate_limit,
        read_rate_limit=options.api.read_rate_limit,
        timeout=options.api.timeout,
    )
    with factory, watch(factory):
        owned = factory.client().owned_index()
    return Exported(manifest_text(account_sid, region, owned, quarantine_app), len(owned))


def _export_account(options: ExportOptions) -> tuple[str, str, str | None]:
    """The account, its region, and the app id of its quarantine flow (if any)."""
    if options.account_sid:
        return options.account_sid, options.region, None
    try:
        manifest = load_manifest(options.manifest)
    except ExoplanError:
        raise UsageError(
            f"export needs the account: pass --account-sid SID (and --region), or -f a manifest "
            f"that names it ({options.manifest} could not be read)"
        ) from None
    policy = manifest.releases
    quarantine_app = manifest.flows[policy.quarantine_flow].app_id if policy else None
    return manifest.account.sid, manifest.account.region, quarantine_app
