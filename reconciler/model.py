"""The plain data passed between stages (manifest, state, plan, apply outcomes), and the
defaults every stage shares.

Nothing here does I/O or imports from the package but its typed records (``records``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reconciler.records import Marks, NumberRecord, Releasing

#: The country assumed for numbers written without a country code.
DEFAULT_COUNTRY = "IN"
#: API writes (POST, PUT, DELETE) per minute, client-side: the ExoPhone API's documented limit.
DEFAULT_RATE_LIMIT = 50.0
#: API reads (GET) per minute until Exotel advertises its own limit (X-RateLimit-*).
DEFAULT_READ_RATE_LIMIT = 50.0
#: Seconds to wait for one Exotel answer.
DEFAULT_TIMEOUT = 30.0
#: Actions in flight at once during apply.
DEFAULT_PARALLELISM = 4
#: Calls API reads per minute: the Voice API's documented budget, apart from the ExoPhone API's.
VOICE_RATE_LIMIT = 200.0
#: Days without a call a number needs before it may be released (``releases.min_idle_days``).
DEFAULT_MIN_IDLE_DAYS = 30
#: Accounts applied at once when apply is given several manifests.
DEFAULT_JOBS = 4
#: The environment variables holding the API key and token, unless a manifest names others.
DEFAULT_KEY_ENV = "EXOTEL_API_KEY"
DEFAULT_TOKEN_ENV = "EXOTEL_API_TOKEN"

#: The kinds of number Exotel sells (the ``{Type}`` of AvailablePhoneNumbers).
NUMBER_TYPES = ("Landline", "Mobile", "TollFree")
#: The currency of a search result's rental, by country: Exotel's search answers carry
#: none, and its numbers are billed in the market's currency.
CURRENCIES = {"IN": "INR", "SG": "SGD", "MY": "MYR", "AE": "AED", "ID": "IDR", "GB": "GBP"}

#: The attributes ``ignore_changes`` may name: those edited in Exotel's dashboard.
IGNORABLE_FIELDS = ("friendly_name", "voice_flow", "sms_flow")


@dataclass(frozen=True, slots=True)
class Account:
    """The Exotel account a manifest describes."""

    sid: str
    region: str = "singapore"
    default_country: str = DEFAULT_COUNTRY
    flow_host: str = "my.exotel.com"
    #: The environment variables holding this account's API key and token (names only).
    key_env: str = DEFAULT_KEY_ENV
    token_env: str = DEFAULT_TOKEN_ENV


@dataclass(frozen=True, slots=True)
class Criteria:
    """What to search Exotel's inventory for: country (ISO alpha-2), type, and the
    optional circle, substring and incoming-SMS filters."""

    country: str
    number_type: str
    region: str | None = None
    contains: str | None = None
    sms: bool = False

    def query(self) -> dict[str, str]:
        """The query parameters of AvailablePhoneNumbers for these criteria."""
        params = {"InRegion": self.region, "Contains": self.contains}
        found = {key: value for key, value in params.items() if value}
        return {**found, "IncomingSMS": "true"} if self.sms else found


@dataclass(frozen=True, slots=True)
class Available:
    """A number for sale; ``rental_price`` as Exotel wrote it, ``currency`` when known."""

    number: str  # E.164
    number_type: str | None
    region: str | None
    voice: bool
    sms: bool
    rental_price: str | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class Flow:
    """A named Exotel flow (App Bazaar app)."""

    name: str
    app_id: str


@dataclass(frozen=True, slots=True)
class NumberSpec:
    """One wanted number; None means "not managed, leave as Exotel has it"."""

    number: str  # E.164
    written: str  # as spelled in the manifest
    index: int  # position in the manifest's numbers list
    friendly_name: str | None = None
    voice_flow: str | None = None
    sms_flow: str | None = None
    protect: bool = False
    #: Fields plan never changes once the number is bought, and drift never reports.
    ignore_changes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ReleasePolicy:
    """The manifest's ``releases:`` block: a number leaving the manifest is first
    re-pointed to ``quarantine_flow``, and released only ``quarantine_days`` later."""

    quarantine_flow: str
    quarantine_days: int


@dataclass(frozen=True, slots=True)
class SafetyLimits:
    """The manifest's ``safety:`` block: the share of managed numbers one plan may
    release (or quarantine) and update, applied from ``min_managed`` numbers on."""

    max_release_percent: float = 30.0
    max_update_percent: float = 30.0
    min_managed: int = 10


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """A manifest pool: ``count`` numbers matching ``criteria``, each named and routed
    alike (``{n}`` in the name is the member's 1-based index); ``release`` names members
    that may go when the count goes down."""

    name: str
    count: int
    criteria: Criteria
    max_rental: str | None = None
    friendly_name: str | None = None
    voice_flow: str | None = None
    sms_flow: str | None = None
    protect: bool = False
    release: tuple[str, ...] = ()
    ignore_changes: frozenset[str] = frozenset()  # for every member, as a number's


@dataclass(frozen=True, slots=True)
class PoolNeed:
    """A pool short of members: ``missing`` numbers to choose from the inventory."""

    pool: str
    missing: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """A validated manifest: numbers keyed by E.164, in manifest order."""

    path: str
    sha256: str
    account: Account
    flows: dict[str, Flow]
    numbers: dict[str, NumberSpec]
    releases: ReleasePolicy | None = None
    safety: SafetyLimits = field(default_factory=SafetyLimits)
    #: Where the state lives (``state.url``): a path or a PostgreSQL URL, never a password.
    state_url: str | None = None
    pools: dict[str, PoolSpec] = field(default_factory=dict)
    #: ``unmanaged.ignore``: glob patterns of E.164 numbers drift does not report.
    unmanaged_ignore: tuple[str, ...] = ()
    #: ``releases.min_idle_days``: the usage guard's window (0 turns it off).
    min_idle_days: int = DEFAULT_MIN_IDLE_DAYS


@dataclass(slots=True)
class State:
    """What exoplan manages; lineage is None until the file is first written.

    ``journal_id`` and ``journal_folded`` say which apply journal was last folded into
    this state and how many of its records, so no journal is ever folded twice.
    """

    path: str
    lineage: str | None = None
    serial: int = 0
    account_sid: str | None = None
    numbers: dict[str, NumberRecord] = field(default_factory=dict)
    journal_id: str | None = None
    journal_folded: int = 0
    #: number -> {"sid": ...} of releases Exotel answered 202 and may still list.
    releasing: dict[str, Releasing] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.lineage is not None


class ActionKind(str, Enum):
    """What a plan does to a number; declaration order is the order of execution."""

    PURCHASE = "purchase"
    UPDATE = "update"
    QUARANTINE = "quarantine"  # re-pointed to the quarantine flow; released later
    RELEASE = "release"

    @property
    def rank(self) -> int:
        return list(ActionKind).index(self)


@dataclass(frozen=True, slots=True)
class Change:
    """One attribute changing; flows are shown as {flow, app_id, url} mappings."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Usage:
    """What Exotel's call history says of a number about to be released: ``calls`` in
    the last ``window_days`` and the last one's ``DateCreated``; ``error`` (with
    ``calls`` None) when it could not be asked."""

    calls: int | None
    last_call: str | None
    window_days: int
    error: str | None = None

    @property
    def in_use(self) -> bool:
        return bool(self.calls)


@dataclass(frozen=True, slots=True)
class Action:
    """One step of a plan.

    ``params`` are the form fields to send to Exotel (only the changed ones for an
    update); ``sid`` is the ExoPhone sid from the state for updates and releases;
    ``protect`` is the value the state entry will carry afterwards; ``marks`` are
    exoplan's own state fields to set afterwards (None removes one), e.g. the
    quarantine's start date and the flows it replaced; ``release_after`` is the date a
    quarantined number may be released.
    """

    kind: ActionKind
    number: str
    name: str | None = None  # friendly name, for display
    changes: tuple[Change, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    sid: str | None = None
    protect: bool = False
    rental_price: str | None = None
    currency: str | None = None
    marks: Marks = field(default_factory=dict)
    release_after: str | None = None
    usage: Usage | None = None  # a release's call history, once asked (plan --refresh, apply)

    @property
    def needs_api(self) -> bool:
        """False for an update that only changes exoplan's own bookkeeping (protect)."""
        return self.kind is not ActionKind.UPDATE or bool(self.params)


@dataclass(frozen=True, slots=True)
class Drift:
    """A managed number that changed outside exoplan; ``live`` is None once it is gone."""

    number: str
    changes: tuple[Change, ...]
    live: NumberRecord | None

    @property
    def gone(self) -> bool:
        return self.live is None


@dataclass(frozen=True, slots=True)
class Breach:
    """A plan above a mass-change threshold: ``count`` of ``managed`` numbers would be
    released or quarantined (``kind`` "release") or updated ("update")."""

    kind: str
    count: int
    managed: int
    limit: float

    @property
    def percent(self) -> float:
        return 100.0 * self.count / self.managed


@dataclass(frozen=True, slots=True)
class Scope:
    """A partial plan: only ``targets`` (when given), never ``excludes``; ``selected``
    of the ``total`` numbers the manifest and state know are in it."""

    targets: tuple[str, ...]
    excludes: tuple[str, ...]
    selected: int
    total: int


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A number waiting in quarantine: no action until ``release_after``."""

    number: str
    name: str | None
    since: str
    release_after: str


@dataclass(frozen=True, slots=True)
class Plan:
    """The ordered actions that would make the account match the manifest."""

    actions: tuple[Action, ...]
    account_sid: str
    region: str
    manifest_path: str
    manifest_sha256: str
    state_path: str
    state_lineage: str | None
    state_serial: int
    unchanged: int = 0
    drift: tuple[Drift, ...] = ()  # read from Exotel by plan --refresh
    unmanaged: int | None = None  # owned but not managed; None without --refresh
    waiting: tuple[Quarantined, ...] = ()  # in quarantine, not yet due for release
    breaches: tuple[Breach, ...] = ()  # mass-change thresholds this plan is above
    scope: Scope | None = None  # set for a partial plan (--target / --exclude)
    needs: tuple[PoolNeed, ...] = ()  # pool members still to be chosen (offline plan)
    #: --max-monthly-increase, as given (a decimal string), when the budget gate is on.
    max_monthly_increase: str | None = None
    #: The day (ISO, UTC) the plan was made: it decides which quarantines have run out.
    made_on: str | None = None
    #: The usage guard's window (``releases.min_idle_days``; 0: off) and the numbers
    #: given to --ignore-usage, whose calls are not asked.
    min_idle_days: int = DEFAULT_MIN_IDLE_DAYS
    ignore_usage: tuple[str, ...] = ()
    #: The environment variables holding the account's key and token (names, never values).
    key_env: str = DEFAULT_KEY_ENV
    token_env: str = DEFAULT_TOKEN_ENV

    def counts(self) -> dict[str, int]:
        tally = Counter(action.kind for action in self.actions)
        result = {kind.value: tally[kind] for kind in ActionKind}
        result["unchanged"] = self.unchanged
        return result

    @property
    def has_changes(self) -> bool:
        return bool(self.actions or self.needs)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one action during apply: confirmed (``ok``), refused, or
    ``unknown`` (sent, but whether it happened cannot be told)."""

    action: Action
    ok: bool
    detail: str = ""
    error: str = ""
    record: NumberRecord | None = None  # what Exotel answered, for the state
    unknown: bool = False
    adopted: bool = False  # a purchase found already owned by the account


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Every outcome of one apply run, the actions never started and why."""

    outcomes: tuple[Outcome, ...]
    not_started: tuple[Action, ...] = ()
    stopped: str = ""  # why the run stopped early ("" when it ran to the end)
    unsettled: tuple[str, ...] = ()  # purchases still unknown: the journal is kept

    def counts(self) -> dict[str, int]:
        result = {"purchased": 0, "adopted": 0, "updated": 0, "quarantined": 0}
        result.update({"released": 0, "failed": 0, "unknown": 0})
        for outcome in self.outcomes:
            if outcome.ok:  # each kind's past tense: purchase -> purchased, ...
                result["adopted" if outcome.adopted else outcome.action.kind.value + "d"] += 1
            else:
                result["unknown" if outcome.unknown else "failed"] += 1
        result["not started"] = len(self.not_started)
        return result

    @property
    def failed(self) -> bool:
        return bool(self.not_started or self.unsettled) or any(
            not outcome.ok for outcome in self.outcomes
        )
