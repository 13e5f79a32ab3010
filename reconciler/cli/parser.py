"""The argument parser: every command, its flags and help, and which ``run_*`` handles it.

Each command's handler is a function of :mod:`reconciler.cli.commands`, which imports
its command's module only when it runs, so ``exoplan validate`` never imports requests. A command
is offered only the flags it uses; the global ones (-v, --no-color) work before or after
the command. Each command's help line and example live in :mod:`reconciler.cli.helptext`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from reconciler import __version__
from reconciler.cli import commands
from reconciler.cli.driftflags import add_drift_flags, add_state_diff_flags
from reconciler.cli.helptext import help_kwargs
from reconciler.cli.options import (
    DEFAULT_MANIFEST,
    Manifests,
    add_account_sid_option,
    add_api_options,
    add_budget_option,
    add_format_options,
    add_lock_option,
    add_scope_options,
    add_usage_option,
    circle,
    country_code,
    destination,
    digits,
    number_type,
    positive_int,
)
from reconciler.cli.sandbox_options import add_sandbox_options
from reconciler.model import DEFAULT_JOBS, DEFAULT_PARALLELISM


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; exoplan keeps 2 for "changes present"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"error: {message}\n")


if TYPE_CHECKING:
    from typing import TypeAlias

    Subparsers: TypeAlias = argparse._SubParsersAction[_Parser]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the arguments it will parse, only the command they name
    gets its flags (the other commands are listed, for --help, but not built): building
    every command's flags was most of the parser's share of start-up."""
    parser = _Parser(
        prog="exoplan",
        description="Declarative management of Exotel ExoPhones: validate, plan, apply.",
        epilog="Run `exoplan COMMAND --help` for a command's flags and an example.",
    )
    parser.add_argument("--version", action="version", version=f"exoplan {__version__}")
    _add_global_options(parser, None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = _named_command(argv)
    for name, add in _COMMANDS.items():
        if wanted in (None, name):
            add(sub)
        else:
            sub.add_parser(name, **help_kwargs(name))
    return parser


def _named_command(argv: Sequence[str] | None) -> str | None:
    """The command ``argv`` runs, or None: no option before a command takes a value, so
    the first word that is not an option names it."""
    for word in argv or ():
        if not word.startswith("-"):
            return word if word in _COMMANDS else None
    return None


def _add_global_options(parser: argparse.ArgumentParser, default: object) -> None:
    """-v and --no-color, on the top parser (real defaults) and after each command
    (``default`` SUPPRESS there, so that a flag given before the command is kept)."""
    top = default is None
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0 if top else default,
        help="log more to stderr (-v: each request to Exotel)",
    )
    parser.add_argument(
        "--no-color",
        action="store_true",
        default=False if top else default,
        help="never colour the output (NO_COLOR and TERM=dumb do too; FORCE_COLOR forces it)",
    )


def _globals() -> _Parser:
    parent = _Parser(add_help=False)
    _add_global_options(parent, argparse.SUPPRESS)
    return parent


def _common_options(*, state: bool, several: bool = False) -> _Parser:
    common = _Parser(add_help=False, parents=[_globals()])
    if several:  # each -f is kept in ``manifests``; ``manifest`` is set per manifest
        common.add_argument(
            "-f",
            "--manifest",
            dest="manifests",
            action=Manifests,
            default=[],
            metavar="M",
            help=(
                "a manifest, or a directory of them (its *.yaml and *.yml files); "
                f"repeatable (default: {DEFAULT_MANIFEST})"
            ),
        )
        common.set_defaults(manifest=DEFAULT_MANIFEST)
    else:
        common.add_argument(
            "-f",
            "--manifest",
            default=DEFAULT_MANIFEST,
            metavar="M",
            help=f"the manifest (default: {DEFAULT_MANIFEST})",
        )
    if state:
        common.add_argument(
            "--state",
            metavar="S",
            help=(
                "the state: a file, or postgresql://[user@]host[:port]/db?name=STATE "
                "(default: $EXOPLAN_STATE, the manifest's state.url, else the manifest's "
                "path with .state.json); with several manifests only a PostgreSQL URL "
                "without name=, each manifest's state then named after its file"
            ),
        )
    return common


def _command(sub: Subparsers, name: str, *, state: bool, several: bool = False) -> _Parser:
    """A command that reads -f's manifest (and, with ``state``, the state), and its help;
    with ``several``, -f may be repeated and name directories."""
    parents = [_common_options(state=state, several=several)]
    return sub.add_parser(name, parents=parents, **help_kwargs(name))


def _add_validate(sub: Subparsers) -> None:
    cmd = _command(sub, "validate", state=False, several=True)
    cmd.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="manifests to check instead of -f's (several allowed)",
    )
    cmd.set_defaults(handler=commands.validate)


def _add_plan(sub: Subparsers) -> None:
    cmd = _command(sub, "plan", state=True, several=True)
    add_format_options(cmd)
    cmd.add_argument("--out", metavar="PLANFILE", help="save it for `exoplan apply PLANFILE`")
    cmd.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there are no changes, 2 when there are, 1 on error",
    )
    cmd.add_argument(
        "--refresh",
        action="store_true",
        help="first read the live account (needs credentials); the state file is not written",
    )
    add_api_options(cmd)
    add_scope_options(cmd)
    add_budget_option(cmd)
    add_usage_option(cmd)
    cmd.set_defaults(handler=commands.plan)


def _add_apply(sub: Subparsers) -> None:
    cmd = _command(sub, "apply", state=True, several=True)
    cmd.add_argument(
        "planfile", nargs="?", metavar="PLANFILE", help="a plan saved by `exoplan plan --out`"
    )
    cmd.add_argument("--auto-approve", action="store_true", help="do not ask for 'yes' (for CI)")
    cmd.add_argument(
        "--allow-release",
        action="store_true",
        help="allow releasing numbers (never protected ones); without it apply refuses",
    )
    cmd.add_argument(
        "--parallelism",
        type=positive_int,
        default=DEFAULT_PARALLELISM,
        metavar="N",
        help=f"actions in flight at once (default: {DEFAULT_PARALLELISM}), all under the rate limit",
    )
    cmd.add_argument(
        "--allow-mass-change",
        action="store_true",
        help="apply a plan above the manifest's safety: thresholds (default: refuse it)",
    )
    add_api_options(cmd)
    add_lock_option(cmd)
    add_scope_options(cmd)
    add_budget_option(cmd)
    add_usage_option(cmd)
    cmd.add_argument(
        "--jobs",
        type=positive_int,
        default=DEFAULT_JOBS,
        metavar="N",
        help=f"with several manifests: accounts applied at once (default: {DEFAULT_JOBS})",
    )
    cmd.set_defaults(handler=commands.apply)


def _add_search(sub: Subparsers) -> None:
    cmd = _command(sub, "search", state=False)
    cmd.add_argument("--country", required=True, type=country_code, help="e.g. IN")
    cmd.add_argument(
        "--type",
        dest="number_type",
        required=True,
        type=number_type,
        help="Landline, Mobile or TollFree",
    )
    cmd.add_argument("--region", type=circle, help="telecom circle, e.g. KA (Exotel's InRegion)")
    cmd.add_argument("--contains", type=digits, help="digits the number must contain")
    cmd.add_argument("--sms", action="store_true", help="only numbers that can receive SMS")
    cmd.add_argument(
        "--format",
        choices=("table", "yaml", "json"),
        default="table",
        help="table (default), yaml (numbers: entries to paste), or json",
    )
    add_account_sid_option(cmd, "the account to search as (default: -f's manifest)")
    cmd.add_argument(
        "--api-region",
        choices=("singapore", "mumbai"),
        help="the account's Exotel region (default: the manifest's, else singapore)",
    )
    add_api_options(cmd)
    cmd.set_defaults(handler=commands.search)


def _add_sandbox(sub: Subparsers) -> None:
    cmd = sub.add_parser("sandbox", parents=[_globals()], **help_kwargs("sandbox"))
    add_sandbox_options(cmd)
    cmd.set_defaults(handler=commands.sandbox)


def _add_schema(sub: Subparsers) -> None:
    cmd = sub.add_parser("schema", parents=[_globals()], **help_kwargs("schema"))
    cmd.add_argument(
        "name",
        nargs="?",
        choices=("manifest", "plan", "state"),
        default="manifest",
        help="which schema (default: manifest)",
    )
    cmd.add_argument("--path", action="store_true", help="print where it is installed instead")
    cmd.set_defaults(handler=commands.schema)


def _add_refresh(sub: Subparsers) -> None:
    refresh = _command(sub, "refresh", state=True, several=True)
    add_api_options(refresh)
    add_lock_option(refresh)
    refresh.set_defaults(handler=commands.refresh)


def _add_import(sub: Subparsers) -> None:
    imp = _command(sub, "import", state=True, several=True)
    imp.add_argument("numbers", nargs="*", metavar="NUMBER", help="numbers to adopt, any spelling")
    imp.add_argument("--all", action="store_true", help="adopt every owned number it lists")
    add_api_options(imp)
    add_lock_option(imp)
    imp.set_defaults(handler=commands.import_numbers)


def _add_export(sub: Subparsers) -> None:
    export = _command(sub, "export", state=False)
    export.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")
    add_account_sid_option(export, "the account (default: the one in -f's manifest)")
    export.add_argument(
        "--region",
        choices=("singapore", "mumbai"),
        default="singapore",
        help="with --account-sid: the account's cluster (default: singapore)",
    )
    add_api_options(export)
    export.set_defaults(handler=commands.export)


def _add_state(sub: Subparsers) -> None:
    common = _common_options(state=True)
    state = sub.add_parser("state", **help_kwargs("state"))
    verbs = state.add_subparsers(dest="verb", required=True, metavar="VERB")
    verbs.add_parser("list", parents=[common], **help_kwargs("state list")).set_defaults(
        handler=commands.state_list
    )
    show = verbs.add_parser("show", parents=[common], **help_kwargs("state show"))
    show.add_argument("number", metavar="NUMBER")
    show.set_defaults(handler=commands.state_show)
    rm = verbs.add_parser("rm", parents=[common], **help_kwargs("state rm"))
    rm.add_argument("numbers", nargs="+", metavar="NUMBER")
    add_lock_option(rm)
    rm.set_defaults(handler=commands.state_rm)
    history = verbs.add_parser("history", parents=[common], **help_kwargs("state history"))
    history.set_defaults(handler=commands.state_history)
    move = verbs.add_parser("migrate", parents=[common], **help_kwargs("state migrate"))
    move.add_argument(
        "--to",
        required=True,
        type=destination,
        metavar="DEST",
        help="a state file path or postgresql://[user@]host[:port]/db?name=STATE[&schema=S]",
    )
    add_lock_option(move)
    move.set_defaults(handler=commands.state_migrate)
    add_state_diff_flags(verbs.add_parser("diff", parents=[common], **help_kwargs("state diff")))


def _add_force_unlock(sub: Subparsers) -> None:
    unlock = _command(sub, "force-unlock", state=True)
    unlock.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
    unlock.set_defaults(handler=commands.state_force_unlock)


def _add_completion(sub: Subparsers) -> None:
    cmd = sub.add_parser("completion", **help_kwargs("completion"))
    cmd.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")
    cmd.set_defaults(handler=commands.completion, whole_parser=build_parser)


#: Every command, in the order --help lists them, and what adds it to the parser.
_COMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "validate": _add_validate,
    "plan": _add_plan,
    "apply": _add_apply,
    "refresh": _add_refresh,
    "import": _add_import,
    "drift": lambda sub: add_drift_flags(_command(sub, "drift", state=True, several=True)),
    "export": _add_export,
    "state": _add_state,
    "force-unlock": _add_force_unlock,
    "search": _add_search,
    "sandbox": _add_sandbox,
    "schema": _add_schema,
    "completion": _add_completion,
}
