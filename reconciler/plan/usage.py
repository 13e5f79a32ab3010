"""The usage guard: a number people still call is not released.

Before a release (at once, or at the end of a quarantine), the number's call history
is asked for its last ``min_idle_days`` days: :func:`windows` cuts them into month-sized
ranges (Exotel answers at most a month per request), newest first, and
:func:`check` asks one range after another through ``count`` (the Calls client's
``count_calls``), stopping at the first range with a call. What it found goes on the
release as its :class:`~reconciler.model.Usage`; :func:`check_idle` refuses a plan
whose releases were called, or could not be asked (fail closed), and :func:`describe`
says in words what the plan shows. ``--ignore-usage NUMBER`` skips one number.

No printing; the network only through ``count``; ``now`` is given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from reconciler.errors import ApiError, UnsafePlanError, shorten
from reconciler.model import Action, ActionKind, Plan, Usage

#: Calls of ``number`` from ``start`` to ``end``: (how many, the newest one's date).
Count = Callable[[str, datetime, datetime], tuple[int, str | None]]

#: The longest range one request asks (Exotel: "a maximum date range of 1 month").
STEP_DAYS = 30
#: Exotel writes call times in the account's own time, which may be up to 14 hours
#: ahead of UTC: the newest range reaches that far past now, so no call of the last
#: hours is missed (none can lie in the future).
AHEAD = timedelta(hours=14)
#: The most days the guard can look back (Exotel keeps six months of calls).
MAX_IDLE_DAYS = 180


def windows(now: datetime, days: int) -> list[tuple[datetime, datetime]]:
    """The last ``days`` days before ``now`` in ranges of at most STEP_DAYS (the newest
    reaching AHEAD past now), newest first; whole seconds."""
    now = now.replace(microsecond=0)
    earliest = now - timedelta(days=days)
    ranges, end = [], now
    while end > earliest:
        start = max(earliest, end - timedelta(days=STEP_DAYS))
        ranges.append((start, end))
        end = start
    if ranges:
        ranges[0] = (ranges[0][0], ranges[0][1] + AHEAD)
    return ranges


def asks(plan: Plan, action: Action) -> bool:
    """Whether the guard asks about ``action``: a release, guard on, number not ignored."""
    return (
        action.kind is ActionKind.RELEASE
        and plan.min_idle_days > 0
        and action.number not in plan.ignore_usage
    )


def check(plan: Plan, count: Count, now: datetime) -> Plan:
    """``plan`` with the usage of every release the guard asks about."""
    actions = tuple(
        dataclasses.replace(a, usage=usage_of(a.number, plan.min_idle_days, count, now))
        if asks(plan, a)
        else a
        for a in plan.actions
    )
    return dataclasses.replace(plan, actions=actions)


def usage_of(number: str, days: int, count: Count, now: datetime) -> Usage:
    """``number``'s calls in its last ``days`` days, newest month first; a range with a
    call ends the search (the ranges before it had none, so the count covers them all)."""
    for index, (start, end) in enumerate(windows(now, days)):
        try:
            total, last = count(number, start, end)
        except ApiError as exc:
            return Usage(None, None, days, error=str(exc))
        if total:
            return Usage(total, last, min(days, (index + 1) * STEP_DAYS))
    return Usage(0, None, days)


def check_idle(plan: Plan) -> None:
    """Refuse a plan that releases a number called within its window, or one whose
    calls could not be asked; name each, with the ways out."""
    asked = [a for a in plan.actions if asks(plan, a)]
    used = [a for a in asked if a.usage is not None and a.usage.in_use]
    unknown = [a for a in asked if a.usage is None or a.usage.calls is None]
    if not used and not unknown:
        return
    reasons = [f"{a.number}: {describe(plan, a)}" for a in used + unknown]
    shown = "; ".join(shorten(r, 400) for r in reasons)
    numbers = " ".join(f"--ignore-usage {a.number}" for a in used + unknown)
    raise UnsafePlanError(
        f"refusing to release number(s) that may still be in use: {shown}. Nothing was "
        "changed; a released number is gone for good. Wait until it has had no calls for "
        f"{plan.min_idle_days} days, keep it (put it back in the manifest), or, if it may go "
        f"anyway, re-run with {numbers}"
    )


def describe(plan: Plan, action: Action) -> str:
    """What the plan says of a release's usage, in words."""
    if plan.min_idle_days <= 0:
        return "usage not checked (releases.min_idle_days: 0)"
    if action.number in plan.ignore_usage:
        return "usage not checked (--ignore-usage)"
    usage = action.usage
    if usage is None:
        return f"calls in the last {plan.min_idle_days} days are checked at apply"
    if usage.calls is None:
        return f"calls could not be checked ({usage.error}); apply refuses to release it"
    if not usage.calls:
        return f"no calls in {usage.window_days} days"
    noun = "call" if usage.calls == 1 else "calls"
    return f"{usage.calls} {noun} in {usage.window_days} days, last {usage.last_call}"


def ignored(given: Iterable[str], normalise: Callable[[str], str | None]) -> tuple[str, ...]:
    """--ignore-usage's numbers in E.164, sorted; ValueError names one that is no number."""
    found = []
    for text in given:
        e164 = normalise(text)
        if e164 is None:
            raise ValueError(text)
        found.append(e164)
    return tuple(sorted(set(found)))
