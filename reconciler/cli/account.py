"""Commands that read the live account: refresh (state <- account), import (adopt owned
numbers without buying), export (account -> a manifest). Each calls its library call
and prints what it returns."""

from __future__ import annotations

import argparse
import sys

from reconciler import api
from reconciler.cli.io import note, say, still_waiting, use_color, warn, write_file
from reconciler.cli.options import api_options, given_state
from reconciler.render.text import drift_block, unmanaged_note


def run_refresh(args: argparse.Namespace) -> int:
    options = api.RefreshOptions(
        manifest=args.manifest,
        state=given_state(args),
        lock_timeout=args.lock_timeout,
        api=api_options(args),
    )
    done = api.refresh(options, note, still_waiting)
    for item in done.drift:
        if item.gone:
            warn(f"{item.number} is no longer owned by the account: dropped from the state")
        else:
            sys.stdout.write(drift_block(item, use_color(args, sys.stdout)))
    if done.saved:
        say(
            f"Refreshed {done.state_path}: {len(done.drift)} number(s) changed outside exoplan "
            f"(serial {done.serial})."
        )
        if done.finished:
            say(f"{done.finished} release(s) by earlier applies have finished at Exotel.")
    else:
        say(f"No changes outside exoplan; {done.state_path} left as it was.")
    say(unmanaged_note(done.unmanaged))
    return 0


def run_import(args: argparse.Namespace) -> int:
    options = api.ImportOptions(
        manifest=args.manifest,
        numbers=tuple(args.numbers),
        all=args.all,
        state=given_state(args),
        lock_timeout=args.lock_timeout,
        api=api_options(args),
    )
    done = api.import_numbers(options, note, still_waiting)
    for number in done.releasing:
        note(f"{number} not imported: its release by an earlier apply is still pending at Exotel")
    for number, sid in done.imported:
        say(f"imported {number} (sid {sid})")
    for number in done.already:
        say(f"{number} is already managed; left as it is")
    say(f"Imported {len(done.imported)} number(s) into {done.state_path}; nothing was bought.")
    return 0


def run_export(args: argparse.Namespace) -> int:
    options = api.ExportOptions(
        manifest=args.manifest,
        account_sid=args.account_sid,
        region=args.region,
        api=api_options(args),
    )
    done = api.export(options, still_waiting)
    if args.output:
        write_file(args.output, done.text.encode("utf-8"), "manifest")
        note(
            f"Wrote {done.count} number(s) to {args.output}. "
            f"Next: exoplan validate -f {args.output}"
        )
    else:
        sys.stdout.write(done.text)
    return 0
