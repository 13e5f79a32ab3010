"""Numbers leaving the manifest when it has a ``releases:`` block: quarantine first
(re-point to the quarantine flow, remember the flows it replaced), release once the
days have passed, restore when a number comes back. Pure: ``today`` is given.

State entries of quarantined numbers carry ``quarantined_at`` (an ISO date) and
``quarantine_previous`` (the voice and SMS URLs it had before).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Final

from reconciler.manifest.flows import app_id_of, flow_url
from reconciler.model import Action, ActionKind, Change, Manifest, Quarantined, State
from reconciler.records import Marks, NumberRecord

SINCE: Final = "quarantined_at"
PREVIOUS: Final = "quarantine_previous"
#: What a restore (or a release) clears from the state entry.
CLEARED: Marks = {SINCE: None, PREVIOUS: None}


def is_quarantined(entry: NumberRecord) -> bool:
    return bool(entry.get(SINCE))


def leaving(
    manifest: Manifest, state: State, gone: list[str], today: date
) -> tuple[list[Action], list[Quarantined]]:
    """The actions for numbers the manifest no longer lists, and those still waiting."""
    policy = manifest.releases
    actions: list[Action] = []
    waiting: list[Quarantined] = []
    for number in gone:
        entry = state.numbers[number]
        if policy is None:
            actions.append(release(number, entry))
        elif not is_quarantined(entry):
            actions.append(start(number, entry, manifest, today))
        else:
            since = _date(entry[SINCE], today)
            due = since + timedelta(days=policy.quarantine_days)
            if today >= due:
                actions.append(release(number, entry))
            else:
                name = entry.get("friendly_name")
                waiting.append(Quarantined(number, name, since.isoformat(), due.isoformat()))
    return actions, waiting


def start(number: str, entry: NumberRecord, manifest: Manifest, today: date) -> Action:
    """Re-point ``number`` to the quarantine flow (and SMS too when it had an SMS flow)."""
    assert manifest.releases is not None
    flow = manifest.flows[manifest.releases.quarantine_flow]
    sid = manifest.account.sid
    params = {"VoiceUrl": flow_url(sid, "voice_flow", flow.app_id, manifest.account.flow_host)}
    if entry.get("sms_url"):
        params["SMSUrl"] = flow_url(sid, "sms_flow", flow.app_id, manifest.account.flow_host)
    due = (today + timedelta(days=manifest.releases.quarantine_days)).isoformat()
    after = {"flow": flow.name, "app_id": flow.app_id, "url": params["VoiceUrl"]}
    before_id = app_id_of(entry.get("voice_url"))
    before = {"flow": None, "app_id": before_id, "url": entry.get("voice_url")}
    previous = {"voice_url": entry.get("voice_url"), "sms_url": entry.get("sms_url")}
    return Action(
        ActionKind.QUARANTINE,
        number,
        name=entry.get("friendly_name"),
        changes=(Change("voice_flow", before, after),),
        params=params,
        sid=entry.get("sid"),
        protect=bool(entry.get("protect", False)),
        rental_price=entry.get("rental_price"),
        currency=entry.get("currency"),
        marks={SINCE: today.isoformat(), PREVIOUS: previous},
        release_after=due,
    )


def release(number: str, entry: NumberRecord) -> Action:
    return Action(
        ActionKind.RELEASE,
        number,
        name=entry.get("friendly_name"),
        sid=entry.get("sid"),
        rental_price=entry.get("rental_price"),
        currency=entry.get("currency"),
    )


def restore_params(entry: NumberRecord, managed: set[str]) -> dict[str, str]:
    """The flows to put back on a number returning from quarantine, for the flow
    fields the manifest does not manage (those it manages are planned as usual)."""
    stored = entry.get(PREVIOUS)
    previous: Mapping[str, object] = stored if isinstance(stored, dict) else {}
    params = {}
    for field, key, param in (
        ("voice_flow", "voice_url", "VoiceUrl"),
        ("sms_flow", "sms_url", "SMSUrl"),
    ):
        url = previous.get(key)
        if field not in managed and isinstance(url, str) and url:
            params[param] = url
    return params


def restore_change(entry: NumberRecord) -> Change:
    return Change("quarantine", f"since {entry.get(SINCE)}", None)


def _date(text: Any, today: date) -> date:
    """A state's quarantine date; one that cannot be read counts as today (never early)."""
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return today
