"""Plans and actions as the planner makes them, for the tests of what consumes a plan."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.model import Action, ActionKind, Change, Plan
from tests.support.project import LINEAGE, voice_url

VOICE = voice_url(123456)


def plan_of(
    *actions: Action,
    unchanged: int = 0,
    lineage: str | None = LINEAGE,
    manifest_sha256: str = "ab" * 32,
) -> Plan:
    """A plan of ``actions`` for acme1 from numbers.yaml, made against serial 7 of the
    state ``lineage`` (serial 0 without a lineage: no state yet)."""
    return Plan(
        actions=actions,
        account_sid="acme1",
        region="mumbai",
        manifest_path="numbers.yaml",
        manifest_sha256=manifest_sha256,
        state_path="numbers.state.json",
        state_lineage=lineage,
        state_serial=7 if lineage else 0,
        unchanged=unchanged,
    )


def action(
    kind: ActionKind | str,
    phone: str = "+918030240001",
    *,
    params: Mapping[str, str] | None = None,
    sid: str | None = None,
    protect: bool = False,
) -> Action:
    """An Action as the planner would make it (only the fields apply uses)."""
    return Action(ActionKind(kind), phone, params=dict(params or {}), sid=sid, protect=protect)


#: One action of each kind, with every detail a renderer shows.
PURCHASE = Action(
    ActionKind.PURCHASE,
    "+918030240001",
    name="Support line",
    changes=(
        Change("friendly_name", None, "Support line"),
        Change("voice_flow", None, {"flow": "support-ivr", "app_id": "123456", "url": VOICE}),
        Change("protect", None, True),
    ),
    params={"FriendlyName": "Support line", "VoiceUrl": VOICE},
    protect=True,
)
UPDATE = Action(
    ActionKind.UPDATE,
    "+918030240003",
    name="New name",
    changes=(
        Change("friendly_name", "Old name", "New name"),
        Change(
            "voice_flow",
            {"flow": None, "app_id": None, "url": "https://example.com/hook"},
            {"flow": "support-ivr", "app_id": "123456", "url": VOICE},
        ),
    ),
    params={"FriendlyName": "New name", "VoiceUrl": VOICE},
    sid="sid3",
)
RELEASE = Action(
    ActionKind.RELEASE, "+918030240009", sid="sid9", rental_price="499.000000", currency="INR"
)
