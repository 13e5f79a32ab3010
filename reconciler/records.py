"""The typed records exoplan passes around as mappings: a number's record (as Exotel
lists it and as the state keeps it), a line of the apply journal, and the lists of
their fields that several stages read. Plain types; nothing here imports the package.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class NumberRecord(TypedDict, total=False):
    """A number's record: what Exotel lists for an ExoPhone (its text fields cleaned to
    text or None), and, in the state, exoplan's own fields beside them. Exotel's other
    fields (``date_created``, ``capabilities``, ...) are kept as they came."""

    sid: str | None
    phone_number: str | None
    friendly_name: str | None
    voice_url: str | None
    sms_url: str | None
    rental_price: str | None
    currency: str | None
    country: str | None
    region: str | None
    number_type: str | None
    #: exoplan's own: never release it (the state's copy of the manifest's flag).
    protect: bool
    #: exoplan's own: the pool a member was bought for, and its 1-based index there.
    pool: str
    pool_index: int
    #: exoplan's own: the ISO date a quarantine began, and the flow URLs it replaced.
    quarantined_at: str
    quarantine_previous: dict[str, str | None]


#: The record's text fields, the one list: answers are cleaned to text (or None) in
#: these, and a state whose entry holds anything else there is refused as damaged.
TEXT_FIELDS = (
    "sid",
    "phone_number",
    "friendly_name",
    "voice_url",
    "sms_url",
    "rental_price",
    "currency",
    "country",
    "region",
    "number_type",
)


class FlowValue(TypedDict):
    """A flow as plans and drift show it: its manifest name (when known), app id, URL."""

    flow: str | None
    app_id: str | None
    url: str | None


#: exoplan's own fields an action sets on a state entry afterwards (None removes one).
Marks = dict[str, object]

#: The form fields Exotel echoes in a number's record: (form field, record key).
ECHOED: tuple[tuple[str, Literal["friendly_name", "voice_url", "sms_url"]], ...] = (
    ("FriendlyName", "friendly_name"),
    ("VoiceUrl", "voice_url"),
    ("SMSUrl", "sms_url"),
)


class JournalRecord(TypedDict, total=False):
    """One line of an apply journal: ``begin`` (``id``, the state's ``lineage`` and
    ``serial``), then per action an ``intent`` and its outcome (``done`` with the
    ``record`` Exotel answered, ``failed`` or ``unknown`` with an ``error``)."""

    op: str
    seq: int
    id: str | None
    lineage: str | None
    serial: int | None
    action: str
    number: str
    sid: str | None
    params: dict[str, str]
    protect: bool
    marks: Marks
    record: NumberRecord
    detail: str
    error: str


#: E.164 -> the record of each number an account owns (a listing), or a state manages.
Owned = dict[str, NumberRecord]


#: A release Exotel accepted (202) that it may list a while yet: the sid released.
class Releasing(TypedDict):
    sid: str | None
