"""Commands that read the live account: refresh (state <- account), import (adopt owned
numbers without buying), export (account -> a manifest)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reconciler.apply.fold import adopt
from reconciler.apply.recovery import ListedOnce
from reconciler.apply.transaction import StateTransaction
from reconciler.cli.io import note, say, still_waiting, use_color, warn, write_file
from reconciler.cli.options import open_state
from reconciler.errors import ExoplanError, UsageError
from reconciler.exotel.factory import ClientFactory
from reconciler.manifest.load import load_manifest
from reconciler.manifest.numbers import InvalidNumber, normalise
from reconciler.model import Manifest, State
from reconciler.plan import drift as drifts
from reconciler.plan import safety
from reconciler.render.export import manifest_text
from reconciler.render.text import drift_block, unmanaged_note
from reconciler.state.file import new_state


@contextmanager
def _settled_and_listed(
    args: argparse.Namespace, manifest: Manifest, command: str
) -> Iterator[tuple[StateTransaction, dict[str, dict[str, Any]]]]:
    """The manifest's state, locked and settled, and what the account owns now: one
    listing, shared with settling a journal that needs one."""
    store = open_state(args, manifest)
    factory = ClientFactory.from_args(args, manifest)
    with StateTransaction(store, command, args.lock_timeout, note) as tx, factory:
        safety.check_account(manifest, tx.state)
        reader = ListedOnce(factory.client)
        with still_waiting(factory):
            tx.settle(lambda: reader)
            owned = reader.owned_index()
        yield tx, owned


def run_refresh(args: argparse.Namespace) -> int:
    manifest = load_manifest(args.manifest)
    with _settled_and_listed(args, manifest, "exoplan refresh") as (tx, owned):
        state = tx.state
        found = drifts.detect(state, owned, manifest)
        updated = drifts.refreshed(state, owned)
        finished = _forget_finished_releases(state, owned)
        for item in found:
            if item.gone:
                warn(f"{item.number} is no longer owned by the account: dropped from the state")
            else:
                sys.stdout.write(drift_block(item, use_color(args, sys.stdout)))
        if updated.numbers != state.numbers or finished:
            state.numbers = updated.numbers
            tx.save()
            say(
                f"Refreshed {state.path}: {len(found)} number(s) changed outside exoplan (serial {state.serial})."
            )
            if finished:
                say(f"{finished} release(s) by earlier applies have finished at Exotel.")
        else:
            say(f"No changes outside exoplan; {state.path} left as it was.")
        say(unmanaged_note(len(drifts.unmanaged(state, owned))))
    return 0


def run_import(args: argparse.Namespace) -> int:
    manifest = load_manifest(args.manifest)
    if not args.numbers and not args.all:
        raise UsageError(
            "name the numbers to import, or pass --all to adopt every owned number the manifest lists"
        )
    wanted = _wanted_numbers(args, manifest)
    with _settled_and_listed(args, manifest, "exoplan import") as (tx, owned):
        state = tx.state
        targets = _import_targets(args, manifest, state, wanted, owned)
        _forget_finished_releases(state, owned)
        fresh = [n for n in targets if n not in state.numbers]
        if not state.exists:
            state = tx.state = new_state(state.path, manifest.account.sid)
        for number in fresh:
            spec = manifest.numbers.get(number)
            adopt(state, number, owned[number], protect=bool(spec and spec.protect))
            say(f"imported {number} (sid {owned[number].get('sid')})")
        for number in sorted(set(targets) - set(fresh)):
            say(f"{number} is already managed; left as it is")
        if fresh:
            state.account_sid = manifest.account.sid
            tx.save()
        say(f"Imported {len(fresh)} number(s) into {state.path}; nothing was bought.")
    return 0


def _wanted_numbers(args: argparse.Namespace, manifest: Manifest) -> list[str]:
    wanted, bad = [], []
    for text in args.numbers:
        try:
            wanted.append(normalise(text, manifest.account.default_country))
        except InvalidNumber as exc:
            bad.append(str(exc))
    if bad:
        raise UsageError("; ".join(bad) + ": nothing was imported")
    return wanted


def _import_targets(
    args: argparse.Namespace,
    manifest: Manifest,
    state: State,
    wanted: list[str],
    owned: dict[str, dict[str, object]],
) -> list[str]:
    missing = [number for number in wanted if number not in owned]
    if missing:
        raise UsageError(
            f"account {manifest.account.sid} does not own {', '.join(missing)}: only owned numbers can "
            "be imported (exoplan apply buys missing ones); nothing was imported"
        )
    targets = list(dict.fromkeys(wanted))
    if args.all:
        pending = [n for n in manifest.numbers if n in owned and _releasing(state, n, owned)]
        for number in pending:
            note(
                f"{number} not imported: its release by an earlier apply is still pending at Exotel"
            )
        extra = [n for n in manifest.numbers if n in owned and n not in targets + pending]
        targets += extra
    return targets


def _forget_finished_releases(state: State, owned: dict[str, dict[str, object]]) -> int:
    """Forget the releases the account no longer lists (under the sid released): they are
    finished. Returns how many."""
    finished = [n for n in state.releasing if not _releasing(state, n, owned)]
    for number in finished:
        del state.releasing[number]
    return len(finished)


def _releasing(state: State, number: str, owned: dict[str, dict[str, object]]) -> bool:
    """Whether ``number`` is listed only because the release this state recorded is not
    finished at Exotel yet (the same sid is still listed)."""
    released, listed = state.releasing.get(number), owned.get(number)
    return released is not None and listed is not None and released.get("sid") == listed.get("sid")


def run_export(args: argparse.Namespace) -> int:
    account_sid, region, quarantine_app = _export_account(args)
    factory = ClientFactory(
        account_sid,
        region,
        rate_limit=args.rate_limit,
        read_rate_limit=args.read_rate_limit,
        timeout=args.timeout,
    )
    with factory, still_waiting(factory):
        owned = factory.client().owned_index()
    text = manifest_text(account_sid, region, owned, quarantine_app)
    if args.output:
        write_file(args.output, text.encode("utf-8"), "manifest")
        note(
            f"Wrote {len(owned)} number(s) to {args.output}. Next: exoplan validate -f {args.output}"
        )
    else:
        sys.stdout.write(text)
    return 0


def _export_account(args: argparse.Namespace) -> tuple[str, str, str | None]:
    """The account, its region, and the app id of its quarantine flow (if any)."""
    if args.account_sid:
        return args.account_sid, args.region, None
    try:
        manifest = load_manifest(args.manifest)
    except ExoplanError:
        raise UsageError(
            f"export needs the account: pass --account-sid SID (and --region), or -f a manifest "
            f"that names it ({args.manifest} could not be read)"
        ) from None
    policy = manifest.releases
    quarantine_app = manifest.flows[policy.quarantine_flow].app_id if policy else None
    return manifest.account.sid, manifest.account.region, quarantine_app
