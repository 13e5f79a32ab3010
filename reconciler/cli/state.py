"""State housekeeping: ``state list``, ``state show``, ``state rm``, ``state history``,
``state migrate``, ``state diff`` and ``force-unlock``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping

from reconciler.cli.io import EXIT_CHANGES, EXIT_OK, ask_yes, note, say
from reconciler.cli.options import api_options, open_state, state_path_for
from reconciler.errors import ExoplanError, StateError, UsageError
from reconciler.exotel.factory import ClientFactory
from reconciler.manifest.flows import STATE_KEYS, app_id_of
from reconciler.manifest.load import load_manifest
from reconciler.manifest.numbers import InvalidNumber, normalise
from reconciler.model import DEFAULT_COUNTRY, Manifest, State
from reconciler.render.escape import terminal
from reconciler.state.backends import open_store
from reconciler.state.location import check_path, is_url, public_form
from reconciler.state.lock import describe_holder, is_locked, lock_path, read_lock, remove_lock
from reconciler.state.store import Store


def run_list(args: argparse.Namespace) -> int:
    state = open_state(args).read().state
    if not state.numbers:
        say(f"{state.path}: no managed numbers.")
        return 0
    for number in sorted(state.numbers):
        entry = state.numbers[number]
        flows = " ".join(
            f"{field.split('_')[0]}={_flow(entry.get(key))}" for field, key in STATE_KEYS.items()
        )
        protect = " protected" if entry.get("protect") else ""
        if entry.get("quarantined_at"):
            protect += f" in-quarantine-since={entry['quarantined_at']}"
        name = json.dumps(entry.get("friendly_name"), ensure_ascii=False, default=str)
        say(f"{number}  sid={entry.get('sid') or '-'}  {flows}  {name}{protect}")
    return 0


def _flow(url: object) -> str:
    if not isinstance(url, str) or not url:
        return "-"
    return app_id_of(url) or url


def run_show(args: argparse.Namespace) -> int:
    manifest = _manifest(args)
    state = open_state(args, manifest).read().state
    number = _managed(args.number, state.numbers, state.path, _country(manifest))
    say(
        json.dumps(state.numbers[number], indent=2, sort_keys=True, ensure_ascii=False, default=str)
    )
    return 0


def run_rm(args: argparse.Namespace) -> int:
    # Imported here: a transaction brings the executor and its threads, which `state list`
    # and `state show` do without.
    from reconciler.apply.transaction import StateTransaction

    manifest = _manifest(args)
    store = open_state(args, manifest)
    path, country = store.where, _country(manifest)
    with StateTransaction(store, "exoplan state rm", args.lock_timeout, note) as tx:
        with _factory(args, manifest, tx.state.account_sid) as factory:
            tx.settle(factory.client)
        state = tx.state
        # Two spellings of one number name it once.
        numbers = list(
            dict.fromkeys(_managed(t, state.numbers, path, country) for t in args.numbers)
        )
        for number in numbers:
            del state.numbers[number]
        tx.save()
    for number in numbers:
        say(
            f"{number} is no longer managed by exoplan (still owned on Exotel; nothing was released)."
        )
    if is_url(path):
        say("Every previous version is kept (see `exoplan state history`).")
    else:
        say(f"The previous state is kept as {path}.backup.")
    return 0


def run_history(args: argparse.Namespace) -> int:
    store = open_state(args)
    versions = store.history()
    if not versions:
        say(f"{store.where}: no versions kept yet.")
        return 0
    say(f"{'serial':>6}  {'written at':<20}  {'command':<24}  host")
    for version in versions:
        say(f"{version.serial:>6}  {version.written_at:<20}  {version.command:<24}  {version.host}")
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    from reconciler.apply.migrate import Migrated, migrate

    source, dest = open_state(args), open_store(args.to)
    where, there = source.where, dest.where
    state, done = migrate(source, dest, "exoplan state migrate", args.lock_timeout)
    what = f"lineage {state.lineage}, serial {state.serial}"
    if done is Migrated.ALREADY_THERE:
        say(f"{there} already holds this state ({what}); nothing was written.")
    else:
        say(f"Copied the state ({what}, {len(state.numbers)} number(s)) from {where} to {there}.")
    say(
        f"{where} was left as it is. From now on point exoplan at {there} (the manifest's "
        "state.url, EXOPLAN_STATE or --state), and keep the old state as a backup."
    )
    return 0


def _factory(
    args: argparse.Namespace, manifest: Manifest | None, account_sid: str | None
) -> ClientFactory:
    """The account client settling needs: the manifest's account, else the state's."""
    if manifest is not None:
        return ClientFactory.for_account(api_options(args), manifest)
    return ClientFactory(account_sid or "", "singapore")


def _manifest(args: argparse.Namespace) -> Manifest | None:
    if not os.path.exists(args.manifest):
        return None
    try:
        return load_manifest(args.manifest)
    except ExoplanError:
        return None


def _managed(text: str, numbers: Mapping[str, object], path: str, country: str) -> str:
    try:
        number = normalise(text, country)
    except InvalidNumber as exc:
        raise UsageError(str(exc)) from None
    if number not in numbers:
        raise StateError(f"{path}: {number} is not managed by exoplan (see `exoplan state list`)")
    return number


def _country(manifest: Manifest | None) -> str:
    return manifest.account.default_country if manifest else DEFAULT_COUNTRY


UNREADABLE = "an unknown process (the lock file is unreadable)"


def run_force_unlock(args: argparse.Namespace) -> int:
    path = state_path_for(args)
    if is_url(path):
        raise StateError(
            f"{public_form(path)}: a PostgreSQL state lock is released by the server when its "
            "holder's session ends, however it ends; there is nothing to force. Stop the "
            "process the lock error names"
        )
    lock = lock_path(check_path(path))
    holder = read_lock(lock)
    if holder is None and not os.path.exists(lock):
        raise StateError(f"{path} is not locked (no {lock}); nothing to do")
    # One line each: the lock file is only a message, and anyone could have written it.
    who = terminal(describe_holder(holder)) if holder else UNREADABLE
    if not is_locked(path):
        remove_lock(path)
        say(f"{path} is not locked: {lock} is left over from {who}, which no longer holds it.")
        say(f"Removed {lock}.")
        return 0
    say(f"{path} is locked by {who}; it still holds the lock.")
    if not args.yes:
        _confirm_unlock()
    remove_lock(path)
    say(f"Removed {lock}.")
    return 0


def _confirm_unlock() -> None:
    ask_yes(
        "Remove the lock only if that process is gone. Remove it? Only 'yes' will be accepted: ",
        refusal="force-unlock needs a 'yes', but standard input is not a terminal: re-run with --yes",
        cancelled="force-unlock cancelled; the lock is still there",
    )


def run_diff(args: argparse.Namespace) -> int:
    from reconciler.render.statediff import render_state_diff
    from reconciler.state.diff import diff_states

    before, after = _diff_sides(args)
    found = diff_states(before, after)
    render_state_diff(found, args.format, sys.stdout)
    return EXIT_CHANGES if args.detailed_exitcode and found.deltas else EXIT_OK


def _diff_sides(args: argparse.Namespace) -> tuple[State, State]:
    """The two states to compare: two locations, or two kept versions of one state."""
    versions = (args.from_version, args.to_version)
    if args.states:
        if len(args.states) != 2 or versions != (None, None):
            raise UsageError(
                "state diff compares two states (exoplan state diff A B) or two versions of "
                "one (--from-version N --to-version M), not both"
            )
        return _existing(open_store(args.states[0])), _existing(open_store(args.states[1]))
    if None in versions:
        raise UsageError(
            "state diff needs two states (exoplan state diff A B), or --from-version N and "
            "--to-version M of -f's or --state's state"
        )
    store = open_state(args)
    return _kept(store, args.from_version), _kept(store, args.to_version)


def _existing(store: Store) -> State:
    state = store.read().state
    if not state.exists:
        raise StateError(f"{store.where}: no state there to compare (check the path or URL)")
    return state


def _kept(store: Store, serial: int) -> State:
    state = store.version(serial)
    if state is None:
        raise StateError(
            f"{store.where}: no kept version has serial {serial} (`exoplan state history` "
            "lists them; a state file keeps only itself and its .backup)"
        )
    return state
