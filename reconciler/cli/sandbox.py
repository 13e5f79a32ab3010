"""``exoplan sandbox``: run the local Exotel stand-in in the foreground."""

from __future__ import annotations

import argparse
import errno
import io
import os
import shlex
import sys
import time
from typing import Any, TextIO

from reconciler.errors import UsageError
from reconciler.sandbox.accounts import parse_account
from reconciler.sandbox.calls import load_calls
from reconciler.sandbox.server import Sandbox, load_inventory, load_seed


def run_sandbox(args: argparse.Namespace) -> int:
    try:
        accounts = [parse_account(text) for text in args.account]
    except ValueError as exc:
        print(f"error: sandbox: {exc}", file=sys.stderr)
        return 1
    key: str | None
    token: str | None
    if accounts:  # the first --account is the one a --seed fills
        (sid, key, token), more = accounts[0], accounts[1:]
    else:
        # Credentials already exported for exoplan are accepted by the sandbox, so the
        # same shell can start it and apply against it; otherwise it makes its own.
        sid, more = args.account_sid, []
        key = os.environ.get("EXOTEL_API_KEY") or None
        token = os.environ.get("EXOTEL_API_TOKEN") or None
    return serve(
        args.host,
        args.port,
        args.rate_limit,
        args.latency,
        args.fail_rate,
        args.seed,
        sid,
        api_key=key,
        api_token=token,
        inventory_path=getattr(args, "inventory", None),
        background=args.background,
        calls_path=getattr(args, "calls", None),
        release_lingers=args.release_lingers,
        read_rate_limit=args.read_rate_limit,
        drop_rate=args.drop_rate,
        accounts=more,
        one_budget=args.one_budget,
    )


def serve(
    host: str,
    port: int,
    rate_limit: int,
    latency_ms: int,
    fail_rate: float,
    seed_path: str | os.PathLike[str] | None,
    account_sid: str,
    out: TextIO | None = None,
    api_key: str | None = None,
    api_token: str | None = None,
    inventory_path: str | os.PathLike[str] | None = None,
    background: bool = False,
    calls_path: str | os.PathLike[str] | None = None,
    **options: Any,
) -> int:
    """Run a sandbox until Ctrl-C (``exoplan sandbox``; with ``background``, return once it
    listens); a busy port fails first. ``options`` go to :class:`Sandbox` as they are."""
    try:
        sandbox = Sandbox(
            host,
            port,
            account_sid=account_sid,
            api_key=api_key,
            api_token=api_token,
            rate_limit=rate_limit,
            latency_ms=latency_ms,
            fail_rate=fail_rate,
            **_loaded(seed_path, inventory_path, calls_path),
            **options,
        )
        _listen(sandbox, host, port)
    except (OSError, ValueError) as exc:
        print(f"error: sandbox: {exc}", file=sys.stderr)
        return 1
    if background:
        return _detach(sandbox, out or sys.stdout, _given(api_key, api_token))
    sandbox.start()
    _run_until_interrupted(sandbox, out or sys.stdout, _given(api_key, api_token))
    return 0


def _loaded(
    seed_path: str | os.PathLike[str] | None,
    inventory_path: str | os.PathLike[str] | None,
    calls_path: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    """What the sandbox's files say: the numbers it owns and sells, and its calls."""
    return {
        "seed": load_seed(seed_path) if seed_path else None,
        "inventory": load_inventory(inventory_path) if inventory_path else None,
        "calls": load_calls(calls_path) if calls_path else None,
    }


def _listen(sandbox: Sandbox, host: str, port: int) -> None:
    """Take the port; a busy one is a UsageError naming --port (exit 1, nothing run)."""
    try:
        sandbox.listen()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise UsageError(
            f"--port {port}: {host}:{port} is already in use: stop what listens there or "
            "pick another port (--port 0 picks a free one)"
        ) from None


def _detach(sandbox: Sandbox, out: TextIO, given: frozenset[str]) -> int:
    """Serve from a child process (its port already bound); this one prints and returns."""
    out.flush()
    child = os.fork()
    if child:
        out.write(banner(sandbox, given).replace("Press Ctrl-C to stop.", f"Stop it: kill {child}"))
        out.flush()
        return 0
    os.setsid()
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    sandbox.start()
    _run_until_interrupted(sandbox, io.StringIO(), given)
    return 0


def _given(api_key: str | None, api_token: str | None) -> frozenset[str]:
    """The credential variables the user already set (never echoed back)."""
    pairs = (("EXOTEL_API_KEY", api_key), ("EXOTEL_API_TOKEN", api_token))
    return frozenset(name for name, value in pairs if value)


def _run_until_interrupted(sandbox: Sandbox, out: TextIO, given: frozenset[str]) -> None:
    try:
        out.write(banner(sandbox, given))
        out.flush()
        _wait_for_interrupt()
    except KeyboardInterrupt:
        out.write("\nSandbox stopped.\n")
    finally:
        sandbox.stop()


def banner(sandbox: Sandbox, given: frozenset[str] = frozenset()) -> str:
    """What ``exoplan sandbox`` prints: the URL, the exports to paste, the account sid.

    Variables in ``given`` came from the user's environment and are not echoed: they
    might be real credentials.
    """
    # With several accounts, each key and token was given on the command line: the
    # manifests' account.credentials name the variables that hold them.
    env = sandbox.env() if len(sandbox.tenants) == 1 else {"EXOTEL_API_URL": sandbox.url}
    exports = "".join(
        f"  export {name}={shlex.quote(value)}\n"
        if name not in given
        else f"  # {name}: the value already in your environment\n"
        for name, value in env.items()
    )
    return (
        f"Exotel sandbox (ExoPhone API v2_beta) listening on {sandbox.url}\n"
        f"{len(sandbox.owned())} number(s) owned at start.\n\n"
        "Paste into the shell that runs exoplan:\n"
        f"{exports}\n"
        f"{_accounts_text(sandbox)}\n"
        "Press Ctrl-C to stop.\n"
    )


def _accounts_text(sandbox: Sandbox) -> str:
    """Which account sid(s) to write in manifests."""
    if len(sandbox.tenants) == 1:
        return (
            f"Use this account sid in the manifest:\n  account:\n    sid: {sandbox.account_sid}\n"
        )
    sids = "".join(f"  {tenant.sid}\n" for tenant in sandbox.tenants)
    return (
        "It serves these accounts, each with the key and token given for it (name their "
        "variables in each manifest's account.credentials):\n" + sids
    )


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C raises KeyboardInterrupt (time.sleep wakes for signals)."""
    while True:
        time.sleep(3600)
