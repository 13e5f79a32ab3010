"""Live account -> manifest text (``exoplan export``): valid, commented, stable.

Every distinct app id becomes one named flow; every owned number is listed with its
friendly name and flows. A URL that carries no numeric app id cannot be expressed
as a flow, so it is left unmanaged and named in a comment.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from reconciler.manifest.flows import STATE_KEYS, app_id_of
from reconciler.records import Owned
from reconciler.render.escape import terminal


def manifest_text(
    account_sid: str,
    region: str,
    owned: Owned,
    quarantine_app: str | None = None,
) -> str:
    """The manifest text; numbers pointing at ``quarantine_app`` (the quarantine flow of
    the manifest export was given) are named in a comment instead of listed."""
    quarantined = sorted(
        n
        for n, r in owned.items()
        if quarantine_app and app_id_of(r.get("voice_url")) == quarantine_app
    )
    owned = {n: r for n, r in owned.items() if n not in quarantined}
    names = _flow_names(owned)
    lines = [
        f"# exoplan manifest exported from Exotel account {terminal(account_sid)}.",
        "# Review the flow names, commit this file, then adopt the numbers without buying",
        "# anything: exoplan import --all -f THIS_FILE",
        "# For editor help add: # yaml-language-server: $schema=<path to manifest.schema.json>",
        "version: 1",
        "account:",
        f"  sid: {_quote(account_sid)}",
        f"  region: {region}",
    ]
    lines += _flow_lines(names, owned)
    lines += _number_lines(names, owned)
    lines += [
        f"# {n}: in quarantine (points at the quarantine flow); not listed" for n in quarantined
    ]
    return "\n".join(lines) + "\n"


def _numeric_app_id(url: Any) -> str | None:
    app_id = app_id_of(url) if isinstance(url, str) else None
    return app_id if app_id and app_id.isdigit() else None


def _flow_names(owned: Owned) -> dict[str, str]:
    """app id -> generated name: voice-ID, sms-ID, or flow-ID when used for both."""
    uses: dict[str, set[str]] = defaultdict(set)
    for record in owned.values():
        for field, key in STATE_KEYS.items():
            app_id = _numeric_app_id(record.get(key))
            if app_id:
                uses[app_id].add(field)
    prefix = {frozenset({"voice_flow"}): "voice", frozenset({"sms_flow"}): "sms"}
    return {app: f"{prefix.get(frozenset(kinds), 'flow')}-{app}" for app, kinds in uses.items()}


def _flow_lines(names: dict[str, str], owned: Owned) -> list[str]:
    if not names:
        return ["flows: {}"]
    counts: dict[str, int] = defaultdict(int)
    for record in owned.values():
        for key in STATE_KEYS.values():
            app_id = _numeric_app_id(record.get(key))
            if app_id:
                counts[app_id] += 1
    lines = ["flows:"]
    for app_id, name in sorted(names.items(), key=lambda item: item[1]):
        lines += [
            f"  {name}:  # used by {counts[app_id]} number(s); rename freely",
            f"    app_id: {_app_id_text(app_id)}",
        ]
    return lines


def _number_lines(names: dict[str, str], owned: Owned) -> list[str]:
    if not owned:
        return ["numbers: []"]
    lines = ["numbers:"]
    for number in sorted(owned):
        record = owned[number]
        lines.append(f"  - number: {_quote(number)}")
        if record.get("friendly_name") is not None:
            lines.append(f"    friendly_name: {_quote(str(record['friendly_name']))}")
        for field, key in STATE_KEYS.items():
            url = record.get(key)
            app_id = _numeric_app_id(url)
            if app_id:
                lines.append(f"    {field}: {names[app_id]}")
            elif url:
                lines.append(f"    # {key} {_quote(str(url))} names no flow id: left unmanaged")
    return lines


def _app_id_text(app_id: str) -> str:
    """Plain digits, but quoted with a leading zero: YAML 1.1 reads 0123 as octal 83."""
    return _quote(app_id) if app_id.startswith("0") else app_id


def _quote(text: str) -> str:
    """A YAML double-quoted scalar: a JSON string (valid YAML) with every character that is
    not printable (DEL, C1 controls, bidi controls, line separators) escaped as the
    terminal escaping does, as ``\\x9b`` or ``\\u202e``, which YAML reads back as the
    character itself. Neither the file nor the terminal ever gets it raw."""
    return terminal(json.dumps(text, ensure_ascii=False))
