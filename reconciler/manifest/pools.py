"""The manifest's ``pools:``: numbers bought by criteria. Checks what the schema cannot
(flows that exist, release entries that are numbers and not listed ones) and builds
:class:`~reconciler.model.PoolSpec` values."""

from __future__ import annotations

from typing import Any

from reconciler.manifest import numbers as phone
from reconciler.manifest.yaml import PathItem
from reconciler.model import Criteria, PoolSpec

Issue = tuple[tuple[PathItem, ...], str]


def check_pools(pools: Any, flows: set[str], listed: set[str], country: str) -> list[Issue]:
    """Every problem with ``pools`` as (path, message)."""
    if not isinstance(pools, dict):
        return []
    issues: list[Issue] = []
    for name, pool in pools.items():
        if not isinstance(pool, dict):
            continue
        for field in ("voice_flow", "sms_flow"):
            flow = pool.get(field)
            if isinstance(flow, str) and flow not in flows:
                known = ", ".join(sorted(flows)) or "none defined"
                message = (
                    f"unknown flow '{flow}' in pool {name}: define it under flows (known: {known})"
                )
                issues.append((("pools", name, field), message))
        issues += _check_release(name, pool.get("release"), listed, country)
    return issues


def _check_release(name: str, release: Any, listed: set[str], country: str) -> list[Issue]:
    if not isinstance(release, list):
        return []
    issues: list[Issue] = []
    for index, written in enumerate(release):
        if not isinstance(written, str):
            continue
        where: tuple[PathItem, ...] = ("pools", name, "release", index)
        try:
            e164 = phone.normalise(written, country)
        except phone.InvalidNumber as exc:
            issues.append((where, f"{exc}: write it as +<country code><number>"))
            continue
        if e164 in listed:
            message = f"{e164} is listed under numbers, so it is not a member of pool {name}"
            issues.append((where, message))
    return issues


def build_pools(pools: Any, country: str) -> dict[str, PoolSpec]:
    """The checked ``pools:`` block as PoolSpecs, by name."""
    built = {}
    for name, pool in (pools or {}).items():
        criteria = Criteria(
            str(pool["country"]).upper(),
            str(pool["type"]),
            pool.get("region"),
            pool.get("contains"),
            bool(pool.get("sms", False)),
        )
        rental = pool.get("max_rental")
        built[str(name)] = PoolSpec(
            name=str(name),
            count=int(pool["count"]),
            criteria=criteria,
            max_rental=None if rental is None else str(rental),
            friendly_name=pool.get("friendly_name"),
            voice_flow=pool.get("voice_flow"),
            sms_flow=pool.get("sms_flow"),
            protect=bool(pool.get("protect", False)),
            release=tuple(phone.normalise(n, country) for n in pool.get("release") or []),
            ignore_changes=frozenset(pool.get("ignore_changes") or ()),
        )
    return built
