"""Commands over several manifests: ``-f`` repeated or naming a directory.

With one manifest each command runs as it always has (its own ``run_*``); with several,
this module runs it once per manifest, each with its own state, lock and journal, and
puts the results together: one document of plans, one line per manifest and a total.
A manifest that fails does not hide the others; the exit code is 1 if any failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from reconciler.cli.io import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    error_lines,
    note,
    say,
    use_color,
    write_file,
)
from reconciler.cli.manifests import error_text, for_manifest, manifest_paths, state_for
from reconciler.errors import ExoplanError, UsageError
from reconciler.manifest.load import load_manifest
from reconciler.manifest.paths import expand
from reconciler.manifest.shared import check_shared_numbers
from reconciler.model import Manifest, Plan
from reconciler.plan.several import ManifestPlan, PlanSet, taken_elsewhere
from reconciler.render.escape import terminal

Handler = Callable[[argparse.Namespace], int]


def _single(run: Handler, args: argparse.Namespace, path: str) -> int:
    """The command of one manifest, as it always ran."""
    return run(for_manifest(args, path, several=False))


# -- validate ----------------------------------------------------------------------------


def run_validate(args: argparse.Namespace) -> int:
    """Validate every manifest, then that no number is listed by two of one account."""
    from reconciler.cli.validate import run_validate as validate_each

    paths = expand(args.files) if args.files else []
    paths += manifest_paths(args) if args.manifests or not args.files else []
    one = argparse.Namespace(**vars(args))
    one.files = paths
    code = validate_each(one)
    if code != EXIT_OK or len(paths) < 2:
        return code
    check_shared_numbers([load_manifest(path) for path in paths])
    return EXIT_OK


# -- plan --------------------------------------------------------------------------------


def run_plan(args: argparse.Namespace) -> int:
    paths = manifest_paths(args)
    if len(paths) == 1:
        from reconciler.cli.plan import run_plan as plan_one

        return _single(plan_one, args, paths[0])
    plans = plan_several(args, paths)
    if args.out and not plans.failed:
        from reconciler.plan.setfile import plan_set_bytes

        write_file(args.out, plan_set_bytes(plans), "plan")
    from reconciler.render.several import render_several

    render_several(plans, args.format, sys.stdout, use_color(args, sys.stdout))
    if args.out:
        if plans.failed:
            note(f"Not saved to {args.out}: a manifest failed; fix it and plan again.")
        else:
            note(f"Saved the plans to {args.out}; apply them with `exoplan apply {args.out}`.")
    if plans.failed or _over_budget(plans):
        return EXIT_ERROR
    return EXIT_CHANGES if args.detailed_exitcode and plans.has_changes else EXIT_OK


def plan_several(args: argparse.Namespace, paths: list[str]) -> PlanSet:
    """Every manifest's plan (or its error); a number listed by two manifests of one
    account is an error before anything is planned."""
    for path in paths:  # a --state naming one state: refused before anything is read
        state_for(args, path)
    loaded = {path: _load(path) for path in paths}
    manifests = [item for item in loaded.values() if isinstance(item, Manifest)]
    check_shared_numbers(manifests)
    plans: dict[str, Plan] = {}
    entries = [_plan_one(args, path, item, manifests, plans) for path, item in loaded.items()]
    _check_scope_known(args, manifests, entries)
    return PlanSet(tuple(entries))


def _check_scope_known(
    args: argparse.Namespace, manifests: list[Manifest], entries: list[ManifestPlan]
) -> None:
    """A --target or --exclude that no manifest planned knows is a typo, as with one."""
    from reconciler.manifest.numbers import try_normalise

    scoped = {
        number
        for entry in entries
        if entry.plan is not None and entry.plan.scope is not None
        for number in (*entry.plan.scope.targets, *entry.plan.scope.excludes)
    }
    for flag, written in (("--target", args.target), ("--exclude", args.exclude)):
        for text in written or ():
            spellings = {try_normalise(text, m.account.default_country) for m in manifests}
            if not spellings & scoped:
                raise UsageError(
                    f"{flag} {text[:40]}: no manifest given lists it nor manages it in its "
                    "state; name a number the plan could touch"
                )


def _plan_one(
    args: argparse.Namespace,
    path: str,
    item: Manifest | str,
    manifests: list[Manifest],
    plans: dict[str, Plan],
) -> ManifestPlan:
    """One manifest's entry; its pools pick no number another manifest of its account
    lists or has picked (``plans`` holds the plans made so far)."""
    from reconciler.cli.plan import compute_plan

    if not isinstance(item, Manifest):
        return ManifestPlan(path, None, None, item)
    taken = taken_elsewhere(item, [(m, plans.get(m.path)) for m in manifests])
    try:
        plan = compute_plan(for_manifest(args, path, True), item, taken)
    except ExoplanError as exc:
        return ManifestPlan(path, item.account.sid, None, error_text(exc))
    plans[path] = plan
    return ManifestPlan(path, item.account.sid, plan)


def _load(path: str) -> Manifest | str:
    """The manifest at ``path``, or the text of its errors."""
    try:
        return load_manifest(path)
    except ExoplanError as exc:
        return error_text(exc)


def _over_budget(plans: PlanSet) -> bool:
    """Print why any plan is over --max-monthly-increase; whether one is."""
    from reconciler.plan import safety

    over = False
    for entry in plans.entries:
        try:
            if entry.plan is not None:
                safety.check_budget(entry.plan)
        except ExoplanError as exc:
            over = True
            note(terminal(f"error: {entry.path}: {exc}"))
    return over


# -- apply -------------------------------------------------------------------------------


def run_apply(args: argparse.Namespace) -> int:
    if args.planfile:
        from reconciler.plan.setfile import load_saved

        saved = load_saved(args.planfile)
        if saved is None:  # a plan of one manifest
            return _single(_apply_one(), args, args.manifest)
        if args.target or args.exclude:
            raise UsageError(
                f"--target and --exclude cannot change a saved plan ({args.planfile} records "
                "its own scope): make a new one with `exoplan plan --target ... --out`"
            )
        from reconciler.cli.apply_several import run_apply_several

        return run_apply_several(args, [entry.path for entry in saved.entries], saved)
    paths = manifest_paths(args)
    if len(paths) == 1:
        return _single(_apply_one(), args, paths[0])
    from reconciler.cli.apply_several import run_apply_several

    return run_apply_several(args, paths, None)


def _apply_one() -> Handler:
    from reconciler.cli.apply import run_apply

    return run_apply


# -- refresh and import -----------------------------------------------------------------


def run_refresh(args: argparse.Namespace) -> int:
    from reconciler.cli.account import run_refresh as refresh_one

    paths = manifest_paths(args)
    if len(paths) == 1:
        return _single(refresh_one, args, paths[0])
    return _each(args, paths, refresh_one, "refreshed")


def run_import(args: argparse.Namespace) -> int:
    """Import into each manifest's state the numbers it lists (all of them: --all)."""
    from reconciler.cli.account import run_import as import_one

    paths = manifest_paths(args)
    if len(paths) == 1:
        return _single(import_one, args, paths[0])
    if not args.numbers and not args.all:
        raise UsageError(
            "name the numbers to import, or pass --all to adopt every owned number the "
            "manifests list"
        )
    wanted = _numbers_by_manifest(args, paths)

    def one(each: argparse.Namespace) -> int:
        if args.all:
            return import_one(each)
        if not wanted[each.manifest]:
            say("None of the numbers given is listed in this manifest; nothing to import.")
            return EXIT_OK
        each.numbers = wanted[each.manifest]
        return import_one(each)

    return _each(args, paths, one, "imported")


def _numbers_by_manifest(args: argparse.Namespace, paths: list[str]) -> dict[str, list[str]]:
    """Which manifest lists each NUMBER given; one that none lists is an error."""
    from reconciler.manifest.numbers import try_normalise

    manifests = [load_manifest(path) for path in paths]
    found: dict[str, list[str]] = {path: [] for path in paths}
    for text in args.numbers:
        owners = [
            m.path for m in manifests if try_normalise(text, m.account.default_country) in m.numbers
        ]
        if not owners:
            raise UsageError(
                f"{text[:40]} is listed in none of the manifests given: add it to the one "
                "that should manage it first"
            )
        for path in owners:
            found[path].append(text)
    return found


def _each(args: argparse.Namespace, paths: list[str], run: Handler, done: str) -> int:
    """Run ``run`` on each manifest in turn under a heading; one failing does not stop
    the others. A line per manifest and a total at the end; 1 if any failed."""
    for path in paths:  # a --state naming one state: refused before anything is read
        state_for(args, path)
    failed: list[str] = []
    color = use_color(args, sys.stderr)
    for path in paths:
        say(terminal(f"== {path} =="))
        try:
            code = run(for_manifest(args, path, True))
        except ExoplanError as exc:
            error_lines(exc, color)
            code = EXIT_ERROR
        if code != EXIT_OK:
            failed.append(path)
        say("")
    for path in paths:
        say(terminal(f"{path}: {'failed' if path in failed else done}"))
    say(
        f"Total: {len(paths) - len(failed)} of {len(paths)} manifests {done}, {len(failed)} failed."
    )
    return EXIT_ERROR if failed else EXIT_OK
