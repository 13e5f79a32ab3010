"""Manifest file -> validated :class:`Manifest`, or every problem at once with its location.

Three passes over the parsed YAML, all collecting instead of stopping: the JSON Schema
(``schemas/manifest.schema.json``), then the meaning (phone numbers, duplicates after
normalisation, flow references, app ids). Lines are looked up only
for the problems, in the nodes the parse kept.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from reconciler.errors import Location, ManifestError, Problem, shorten
from reconciler.manifest import numbers as phone
from reconciler.manifest.aliases import AliasBomb
from reconciler.manifest.bounded import RefusedFile, read_bounded
from reconciler.manifest.checker import SchemaChecker
from reconciler.manifest.flows import DEFAULT_FLOW_HOST
from reconciler.manifest.pools import build_pools, check_pools
from reconciler.manifest.schema import schema
from reconciler.manifest.yaml import Locator, PathItem, parse, syntax_problem
from reconciler.model import (
    DEFAULT_COUNTRY,
    DEFAULT_KEY_ENV,
    DEFAULT_MIN_IDLE_DAYS,
    DEFAULT_TOKEN_ENV,
    IGNORABLE_FIELDS,
    Account,
    Flow,
    Manifest,
    NumberSpec,
    ReleasePolicy,
    SafetyLimits,
)


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem found in the data, before its line is known."""

    path: tuple[PathItem, ...]
    message: str
    at_key: bool = False
    also: tuple[PathItem, ...] | None = None  # a second place, named in the message


def load_manifest(path: str) -> Manifest:
    """Read, parse and validate the manifest at ``path``; raises ManifestError."""
    raw = _read(path)
    text = _decode(raw, path)
    try:
        document = parse(text, path)
        findings, e164s = _check(document.data)
    except yaml.YAMLError as exc:
        raise ManifestError([syntax_problem(exc, path, text)]) from None
    except AliasBomb as exc:
        raise ManifestError([exc.problem]) from None
    except RecursionError:
        message = "the manifest is nested too deeply to be a manifest: check its brackets"
        raise ManifestError([Problem(Location(path, 1, 1), message)]) from None
    if findings or document.duplicates:
        locator = Locator(document, path)
        problems = document.duplicates + [_locate(f, locator) for f in findings]
        # Entries sharing a merged (<<: *anchor) value share its problems: say each once.
        raise ManifestError(list(dict.fromkeys(problems)))
    data = document.data
    del document  # its nodes: only the data is needed from here on
    return _build(data, e164s, path, hashlib.sha256(raw).hexdigest())


def _locate(finding: Finding, locator: Locator) -> Problem:
    message = finding.message
    if finding.also is not None:
        message = message.replace("{also}", f"line {locator.locate(finding.also).line}")
    return Problem(locator.locate(finding.path, finding.at_key), message)


#: The largest manifest read: far beyond 100,000 numbers, far below a runaway file.
MAX_MANIFEST_BYTES = 64 << 20


def _read(path: str) -> bytes:
    try:
        return read_bounded(path, MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        hint = "pass -f PATH, or write one (`exoplan export` writes one of a live account)"
        raise ManifestError([Problem(Location(path), f"manifest not found: {hint}")]) from None
    except RefusedFile as exc:
        message = f"the manifest {exc}: pass -f the YAML file itself"
        raise ManifestError([Problem(Location(path), message)]) from None
    except OSError as exc:
        message = f"cannot read the manifest: {exc.strerror}"
        raise ManifestError([Problem(Location(path), message)]) from None


def _decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = "not UTF-8 text: save the file as UTF-8"
        raise ManifestError([Problem(Location(path, line, 1), message)]) from None


def _check(data: Any) -> tuple[list[Finding], list[str | None]]:
    """Every finding, and the E.164 form of each numbers entry (None where invalid)."""
    if data is None:
        return [Finding((), "the manifest is empty: it needs version, account and numbers")], []
    if not isinstance(data, dict):
        message = "the manifest must be a mapping with version, account and numbers"
        return [Finding((), message)], []
    findings = [Finding(e.path, e.message, e.at_key) for e in _checker().check(data)]
    country = _default_country(data, findings)
    flows = _check_flows(data.get("flows"), findings)
    _check_state_url(data.get("state"), findings)
    e164s = _check_numbers(data.get("numbers"), country, flows, findings)
    _check_releases(data.get("releases"), flows, findings)
    findings += [Finding(where, message) for where, message in ignore_problems(data)]
    listed = {e for e in e164s if e is not None}
    for where, message in check_pools(data.get("pools"), flows, listed, country):
        findings.append(Finding(where, message))
    return findings, e164s


def ignore_problems(data: Mapping[str, Any]) -> list[tuple[tuple[PathItem, ...], str]]:
    """Every ``ignore_changes`` entry of a number or a pool that names no ignorable field
    (the schema checks only that it is a list; the message here says what it takes)."""
    places: list[tuple[tuple[PathItem, ...], Any]] = []
    entries, pools = data.get("numbers"), data.get("pools")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict):
            places.append((("numbers", index, "ignore_changes"), entry.get("ignore_changes")))
    for name, pool in pools.items() if isinstance(pools, dict) else ():
        if isinstance(pool, dict):
            places.append((("pools", name, "ignore_changes"), pool.get("ignore_changes")))
    problems = []
    for where, fields in places:
        for position, field in enumerate(fields if isinstance(fields, list) else []):
            if field not in IGNORABLE_FIELDS:
                message = (
                    f"ignore_changes cannot name {shorten(repr(field))}: it takes "
                    f"{', '.join(IGNORABLE_FIELDS)}"
                )
                problems.append(((*where, position), message))
    return problems


def _check_releases(releases: Any, flows: set[str], findings: list[Finding]) -> None:
    name = releases.get("quarantine_flow") if isinstance(releases, dict) else None
    if isinstance(name, str) and name not in flows:
        known = ", ".join(sorted(flows)) or "none defined"
        message = f"unknown quarantine_flow '{name}': define it under flows (known: {known})"
        findings.append(Finding(("releases", "quarantine_flow"), message))


_CHECKER: SchemaChecker | None = None
_TWO_LETTERS = re.compile(r"[A-Za-z]{2}")
_APP_ID = re.compile(r"[0-9]+")


def _checker() -> SchemaChecker:
    global _CHECKER
    if _CHECKER is None:
        _CHECKER = SchemaChecker(schema("manifest"), "numbers", JUDGED_HERE)
    return _CHECKER


#: Properties whose values this module judges (the schema's patterns are for editors;
#: the messages here say more). A number must also match the schema's pattern.
JUDGED_HERE = frozenset({"number", "app_id", "ignore_changes"})
_NUMBER_SHAPE: re.Pattern[str] | None = None


def _written_as_number(text: str) -> bool:
    global _NUMBER_SHAPE
    if _NUMBER_SHAPE is None:
        _NUMBER_SHAPE = re.compile(
            schema("manifest")["$defs"]["number"]["properties"]["number"]["pattern"]
        )
    return _NUMBER_SHAPE.search(text) is not None


def _default_country(data: Mapping[str, Any], findings: list[Finding]) -> str:
    account = data.get("account")
    country = (
        account.get("default_country", DEFAULT_COUNTRY)
        if isinstance(account, dict)
        else DEFAULT_COUNTRY
    )
    if not isinstance(country, str) or not _TWO_LETTERS.fullmatch(country):
        return DEFAULT_COUNTRY  # the schema reports it; saying it twice would be noise
    if not phone.is_region(country):
        message = f"unknown country code '{country}': use an ISO 3166-1 code such as IN or SG"
        findings.append(Finding(("account", "default_country"), message))
        return DEFAULT_COUNTRY
    return country.upper()


def _check_flows(flows: Any, findings: list[Finding]) -> set[str]:
    if not isinstance(flows, dict):
        return set()
    for name, flow in flows.items():
        app_id = flow.get("app_id") if isinstance(flow, dict) else None
        # str.isdigit() accepts any Unicode digit ("١٢٣", "²"); an app id is ASCII.
        if isinstance(app_id, str) and not _APP_ID.fullmatch(app_id.strip()):
            message = (
                f"app_id '{shorten(app_id)}' of flow '{shorten(str(name))}' is not numeric: "
                "use the flow's numeric id from the Exotel dashboard"
            )
            findings.append(Finding(("flows", name, "app_id"), message))
        elif isinstance(app_id, int) and not isinstance(app_id, bool) and app_id <= 0:
            message = f"app_id of flow '{shorten(str(name))}' must be a positive number"
            findings.append(Finding(("flows", name, "app_id"), message))
    return {str(name) for name in flows}


def _check_state_url(state: Any, findings: list[Finding]) -> None:
    """A manifest is committed to git: a password in its state URL would be published."""
    url = state.get("url") if isinstance(state, dict) else None
    if isinstance(url, str) and _holds_password(url):
        message = (
            "the state URL must not hold a password (this file is committed): remove it, and "
            "give the URL in EXOPLAN_STATE (a CI secret) or --state, the password in "
            "PGPASSWORD or ~/.pgpass"
        )
        findings.append(Finding(("state", "url"), message))


#: ``password=`` or ``sslpassword=`` in a URL's query or a libpq keyword string.
_PASSWORD_KEY = re.compile(r"(?:^|[\s?&])(?:ssl)?password\s*=", re.IGNORECASE)


def _holds_password(url: str) -> bool:
    """A password in the user info, the query (any spelling) or libpq keywords."""
    try:
        userinfo = "://" in url and urlsplit(url).password is not None
    except ValueError:
        userinfo = ":" in url.split("://", 1)[-1].split("/", 1)[0].rpartition("@")[0]
    return userinfo or _PASSWORD_KEY.search(unquote(url)) is not None


def _check_numbers(
    entries: Any, country: str, flows: set[str], findings: list[Finding]
) -> list[str | None]:
    if not isinstance(entries, list):
        return []
    e164s: list[str | None] = [None] * len(entries)
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        _check_flow_refs(entry, index, flows, findings)
        written = entry.get("number")
        if not isinstance(written, str):
            continue
        try:
            e164 = e164s[index] = phone.normalise(written, country)
        except phone.InvalidNumber as exc:
            findings.append(Finding(("numbers", index, "number"), f"{exc}: {_NUMBER_HINT}"))
            continue
        if not _written_as_number(written):  # "1-800-FLOWERS", "ext. 5": phonenumbers reads them
            e164s[index] = None
            findings.append(Finding(("numbers", index, "number"), _shape_message(written)))
            continue
        if e164 in first_seen:
            findings.append(_duplicate(entries, first_seen[e164], index, e164))
        else:
            first_seen[e164] = index
    return e164s


_NUMBER_HINT = "write it as +<country code><number>, e.g. +918030240001"


def _shape_message(written: str) -> str:
    return (
        f"'{written}' is not written as a phone number: use at least six digits, an "
        "optional leading + and spaces, dashes, dots, slashes or brackets between them, "
        "e.g. +918030240001"
    )


def _check_flow_refs(
    entry: Mapping[str, Any], index: int, flows: set[str], findings: list[Finding]
) -> None:
    for field in ("voice_flow", "sms_flow"):
        name = entry.get(field)
        if isinstance(name, str) and name not in flows:
            known = shorten(", ".join(sorted(flows)), 200) or "none defined"
            message = (
                f"unknown flow '{shorten(name)}' in {field}: define it under flows (known: {known})"
            )
            findings.append(Finding(("numbers", index, field), message))


def _duplicate(entries: list[Any], first: int, second: int, e164: str) -> Finding:
    message = (
        f"'{shorten(entries[second]['number'])}' is the same number as "
        f"'{shorten(entries[first]['number'])}' "
        f"at {{also}}: both are {e164}; keep one of the two entries"
    )
    return Finding(("numbers", second, "number"), message, also=("numbers", first, "number"))


def _account(account_data: Mapping[str, Any]) -> Account:
    credentials = account_data.get("credentials") or {}
    return Account(
        sid=account_data["sid"],
        region=account_data.get("region", "singapore"),
        default_country=str(account_data.get("default_country", DEFAULT_COUNTRY)).upper(),
        flow_host=account_data.get("flow_host", DEFAULT_FLOW_HOST).lower(),
        key_env=credentials.get("key_env", DEFAULT_KEY_ENV),
        token_env=credentials.get("token_env", DEFAULT_TOKEN_ENV),
    )


def _build(data: Mapping[str, Any], e164s: list[str | None], path: str, sha256: str) -> Manifest:
    account = _account(data["account"])
    country = account.default_country
    flows = {
        str(name): Flow(str(name), str(flow["app_id"]).strip())
        for name, flow in (data.get("flows") or {}).items()
    }
    specs: dict[str, NumberSpec] = {}
    for index, (entry, e164) in enumerate(zip(data["numbers"], e164s, strict=True)):
        assert e164 is not None  # every entry normalised, or _check reported it
        specs[e164] = NumberSpec(
            number=e164,
            written=entry["number"],
            index=index,
            friendly_name=entry.get("friendly_name"),
            voice_flow=entry.get("voice_flow"),
            sms_flow=entry.get("sms_flow"),
            protect=entry.get("protect", False),
            ignore_changes=frozenset(entry.get("ignore_changes") or ()),
        )
    return Manifest(
        path,
        sha256,
        account,
        flows,
        specs,
        _releases(data),
        _safety(data),
        _state_url(data.get("state"), path),
        build_pools(data.get("pools"), country),
        tuple((data.get("unmanaged") or {}).get("ignore") or ()),
        int((data.get("releases") or {}).get("min_idle_days", DEFAULT_MIN_IDLE_DAYS)),
    )


def _releases(data: Mapping[str, Any]) -> ReleasePolicy | None:
    block = data.get("releases")
    if not block or "quarantine_flow" not in block:
        return None
    return ReleasePolicy(str(block["quarantine_flow"]), int(block["quarantine_days"]))


def _safety(data: Mapping[str, Any]) -> SafetyLimits:
    block = data.get("safety") or {}
    defaults = SafetyLimits()
    return SafetyLimits(
        float(block.get("max_release_percent", defaults.max_release_percent)),
        float(block.get("max_update_percent", defaults.max_update_percent)),
    )


def _state_url(state: Any, path: str) -> str | None:
    """The manifest's state location; a relative file path is taken from its folder."""
    url = state.get("url") if isinstance(state, dict) else None
    if not isinstance(url, str):
        return None
    if "://" in url or os.path.isabs(url):
        return url
    return os.path.join(os.path.dirname(path), url)
