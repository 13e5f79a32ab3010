"""The usage guard in the library calls: the numbers ``ignore_usage`` names, the check
that ``plan`` with ``refresh`` shows, and the refusal ``apply`` makes before any change
is sent.

The decision is :mod:`reconciler.plan.usage`; the call history comes from the Calls
client the factory builds (:mod:`reconciler.exotel.calls`).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from reconciler.errors import UsageError
from reconciler.exotel.factory import ApiOptions, ClientFactory
from reconciler.manifest import numbers
from reconciler.model import Manifest, Plan
from reconciler.plan import usage


def configured(
    plan: Plan, manifest: Manifest, given: tuple[str, ...], planfile: str | None = None
) -> Plan:
    """``plan`` with the manifest's window and the numbers ``given`` (--ignore-usage);
    a saved plan (``planfile``) keeps what it recorded."""
    if planfile:
        if given:
            raise UsageError(
                f"--ignore-usage cannot change a saved plan ({planfile} records its own): "
                f"make a new one with `exoplan plan --ignore-usage ... --out {planfile}`"
            )
        return plan
    country = manifest.account.default_country
    try:
        ignored = usage.ignored(given, lambda text: numbers.try_normalise(text, country))
    except ValueError as exc:
        raise UsageError(
            f"--ignore-usage {str(exc)!r} is not a phone number: give the number to release "
            "though it is still called, e.g. --ignore-usage +918030240002"
        ) from None
    return dataclasses.replace(plan, min_idle_days=manifest.min_idle_days, ignore_usage=ignored)


def asked(plan: Plan, factory: ClientFactory) -> Plan:
    """``plan`` with the call history of each release the guard asks about (no client
    is built when there is none)."""
    if not any(usage.asks(plan, action) for action in plan.actions):
        return plan
    calls = factory.calls_client()
    return usage.check(plan, calls.count_calls, datetime.now(timezone.utc))


def refuse_used(plan: Plan, factory: ClientFactory) -> Plan:
    """``plan`` with its usage asked; refused when a release is still called or could
    not be checked."""
    checked = asked(plan, factory)
    usage.check_idle(checked)
    return checked


def refreshed(api: ApiOptions, plan: Plan, manifest: Manifest) -> Plan:
    """plan with refresh: the usage of each release, shown but not refused."""
    with ClientFactory.for_account(api, manifest) as factory:
        return asked(plan, factory)
