"""What the sandbox remembers between requests: the numbers its account owns.

``sandbox.py`` speaks HTTP; this module holds the Exotel semantics behind it. Every
public method is thread-safe, and an answer that Exotel gives as an error is raised
as ``ApiFailure`` (status, message, ``RestException`` code, extra headers). Standard
library only, plus ``reconciler.manifest.numbers``.
"""

from __future__ import annotations

import copy
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from reconciler.manifest.numbers import national, try_normalise
from reconciler.model import DEFAULT_COUNTRY
from reconciler.sandbox import shapes

Record = dict[str, Any]

LEGACY_HOST = "http://twilix.exotel.com"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
SETTABLE = ("VoiceUrl", "SMSUrl", "FriendlyName")

# (calling code, country, currency, monthly rental): Exotel's markets, longest code first.
_MARKETS = (
    ("971", "AE", "AED", "40.000000"),
    ("91", "IN", "INR", "499.000000"),
    ("65", "SG", "SGD", "15.000000"),
    ("60", "MY", "MYR", "30.000000"),
    ("62", "ID", "IDR", "150000.000000"),
    ("44", "GB", "GBP", "8.000000"),
    ("1", "US", "USD", "10.000000"),
)
_LISTED = ("capabilities", "region", "number_type", "rental_price")
_UNKNOWN_MARKET = ("ZZ", "USD", "10.000000")
_FLOW_HOST = re.compile(r"my(\.[a-z0-9-]+)?\.exotel\.(com|in)")
_FLOW_PATH = re.compile(
    r"(/[^/]+)?/exoml/(?P<kind>start_voice|start_sms|start)/(?P<app>[A-Za-z0-9_-]+)/?"
)


class ApiFailure(Exception):
    """An answer Exotel gives as an error: HTTP status, message, code and extra headers."""

    def __init__(
        self, status: int, message: str, code: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """Exotel's error body, in the shape its status gets (:func:`shapes.error_body`)."""
        return shapes.error_body(self.status, self.message, self.code)


def exotel_url(url: str, field: str, account_sid: str) -> str | None:
    """The flow URL as Exotel gives it back: ``https://my.exotel.in/{sid}/exoml/...``.

    Any recognised spelling (legacy ``start_voice``/``start_sms`` with an account
    segment, or the newer ``/exoml/start/{id}``) is rewritten, so that clients must
    compare by app id; an empty string clears the URL; anything else is kept as given.
    """
    if url == "":
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return url
    match = _FLOW_PATH.fullmatch(parts.path)
    recognised = parts.scheme in ("http", "https") and _FLOW_HOST.fullmatch(host)
    if not recognised or match is None or parts.query or parts.fragment:
        return url
    kind = match["kind"]
    if kind == "start":
        kind = "start_sms" if field == "SMSUrl" else "start_voice"
    return f"https://my.exotel.in/{account_sid}/exoml/{kind}/{match['app']}"


def parse_paging(query: str) -> tuple[int, int]:
    """(Page, PageSize) from a query string; PageSize defaults to 50, capped at 100."""
    params = parse_qs(query, keep_blank_values=True)
    page = _int_param(params, "Page", 0, minimum=0)
    size = _int_param(params, "PageSize", DEFAULT_PAGE_SIZE, minimum=1)
    return page, min(size, MAX_PAGE_SIZE)


def parse_form(content_type: str, body: bytes) -> dict[str, str]:
    """The form fields of a body; 400 for another content type, bad encoding, repeats."""
    media = content_type.split(";")[0].strip().lower()
    if body and media not in ("", "application/x-www-form-urlencoded"):
        message = "The body must be application/x-www-form-urlencoded"
        raise ApiFailure(400, message, "INVALID_CONTENT_TYPE")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise ApiFailure(400, "Malformed form body", "BAD_REQUEST") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise ApiFailure(400, f"Parameter {name} is given more than once", "BAD_REQUEST")
        form[name] = value
    return form


def route(path: str, account_sid: str) -> str | None:
    """None for the number collection, the ExoPhone sid for one number; 404 otherwise."""
    parts = path.split("/")
    known = parts[:3] == ["", "v2_beta", "Accounts"] and len(parts) in (5, 6)
    if not known or parts[4] != "IncomingPhoneNumbers" or (len(parts) == 6 and not parts[5]):
        raise ApiFailure(404, "The requested resource was not found", "NOT_FOUND")
    if unquote(parts[3]) != account_sid:
        raise ApiFailure(404, "Account not found", "NOT_FOUND")
    return unquote(parts[5]) if len(parts) == 6 else None


def _int_param(params: Mapping[str, list[str]], name: str, default: int, minimum: int) -> int:
    values = params.get(name)
    if not values:
        return default
    if len(values) > 1 or not re.fullmatch(r"[0-9]{1,9}", values[0]):
        raise ApiFailure(400, f"{name} must be one non-negative integer", "INVALID_PARAMETER")
    value = int(values[0])
    if value < minimum:
        raise ApiFailure(400, f"{name} must be at least {minimum}", "INVALID_PARAMETER")
    return value


def _check_fields(form: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(form) - set(allowed))
    if unknown:
        names = ", ".join(unknown)
        raise ApiFailure(400, f"Unknown parameter(s): {names}", "INVALID_PARAMETER")


class NumberStore:
    """The numbers one account owns, in purchase order, and how often each was bought."""

    def __init__(
        self, account_sid: str, default_country: str = DEFAULT_COUNTRY, release_lingers: float = 0
    ) -> None:
        self.account_sid = account_sid
        self.default_country = default_country
        self.release_lingers = release_lingers
        self._lock = threading.Lock()
        self._by_sid: dict[str, Record] = {}
        # Released (202) but still listed until the time given, as Exotel's may be.
        self._releasing: dict[str, tuple[Record, float]] = {}
        self._sid_by_number: dict[str, str] = {}
        self._purchases: Counter[str] = Counter()

    def purchase(self, form: Mapping[str, str], listing: Mapping[str, Any] | None = None) -> Record:
        """Buy ``PhoneNumber`` (any spelling); 400 when invalid, 409 when already owned.
        ``listing`` is the number's inventory record: its type, region, price apply."""
        _check_fields(form, ("PhoneNumber", *SETTABLE))
        raw = form.get("PhoneNumber", "").strip()
        if not raw:
            raise ApiFailure(400, "PhoneNumber is required", "MISSING_PARAMETER")
        e164 = try_normalise(raw, self.default_country)
        if e164 is None:
            message = f"PhoneNumber '{raw[:40]}' is not a valid phone number"
            raise ApiFailure(400, message, "INVALID_PARAMETER")
        record = self._apply(self._new_record(e164, None), form)
        record.update({k: v for k, v in (listing or {}).items() if k in _LISTED})
        with self._lock:
            if e164 in self._sid_by_number:
                message = f"ExoPhone {e164} is already owned by this account"
                raise ApiFailure(409, message, "ALREADY_OWNED")
            self._insert(record)
            self._purchases[e164] += 1
            return copy.deepcopy(record)

    def update(self, sid: str, form: Mapping[str, str]) -> Record:
        """Change only the fields given (VoiceUrl, SMSUrl, FriendlyName); 404 if unknown."""
        _check_fields(form, SETTABLE)
        with self._lock:
            record = self._find(sid)
            self._apply(record, form)
            return copy.deepcopy(record)

    def release(self, sid: str) -> None:
        """Give the number back (404 if unknown); it stays listed ``release_lingers`` s."""
        with self._lock:
            if sid in self._lingering():
                return
            record = self._find(sid)
            del self._by_sid[sid]
            del self._sid_by_number[record["phone_number"]]
            if self.release_lingers > 0:
                until = time.monotonic() + self.release_lingers
                self._releasing[sid] = (record, until)

    def get(self, sid: str) -> Record:
        """A copy of one number still listed (404 if unknown)."""
        with self._lock:
            lingering = self._lingering().get(sid)
            return copy.deepcopy(lingering or self._find(sid))

    def _lingering(self) -> dict[str, Record]:
        """Released numbers still listed; the others are forgotten (lock held)."""
        now = time.monotonic()
        for sid in [s for s, (_, until) in self._releasing.items() if until <= now]:
            del self._releasing[sid]
        return {sid: record for sid, (record, _) in self._releasing.items()}

    def owned(self) -> list[Record]:
        """Copies of every owned number, in purchase order."""
        with self._lock:
            return [copy.deepcopy(record) for record in self._by_sid.values()]

    def purchases(self) -> Counter[str]:
        """Successful purchases per E.164 number (a copy)."""
        with self._lock:
            return Counter(self._purchases)

    def listing(self, query: str) -> dict[str, Any]:
        """The page of owned numbers a query (Page, PageSize) asks for, as Exotel shows it."""
        page, size = parse_paging(query)
        with self._lock:
            records = list(self._by_sid.values()) + list(self._lingering().values())
        items = [shapes.listed(r) for r in records[page * size : (page + 1) * size]]
        base = f"{LEGACY_HOST}/v2_beta/Accounts/{self.account_sid}/IncomingPhoneNumbers"
        uris = {n: f"{base}?Page={n}&PageSize={size}" for n in (0, page - 1, page, page + 1)}
        return {
            "page": page,
            "page_size": size,
            "uri": uris[page],
            "first_page_uri": uris[0],
            "next_page_uri": uris[page + 1] if len(records) > (page + 1) * size else None,
            "previous_page_uri": uris[page - 1] if page > 0 else None,
            "incoming_phone_numbers": items,
        }

    def seed(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Own these records already; raises ValueError for a bad or duplicate one."""
        for item in records:
            record = self._seed_record(item)
            with self._lock:
                if record["phone_number"] in self._sid_by_number or record["sid"] in self._by_sid:
                    raise ValueError(f"seed record {record['phone_number']} is a duplicate")
                self._insert(record)

    def _seed_record(self, item: Mapping[str, Any]) -> Record:
        phone = item.get("phone_number") if isinstance(item, Mapping) else None
        e164 = try_normalise(phone, self.default_country) if isinstance(phone, str) else None
        if e164 is None:
            raise ValueError(f"seed record has no valid phone_number: {item!r}")
        sid = item.get("sid")
        if sid is not None and (not isinstance(sid, str) or not sid or "/" in sid):
            raise ValueError(f"seed record {e164} has an invalid sid: {sid!r}")
        record = self._new_record(e164, sid or national(e164))  # listed sids look like numbers
        record.update({k: copy.deepcopy(v) for k, v in item.items() if k != "sid"})
        record["phone_number"] = e164
        return record

    def _new_record(self, e164: str, sid: str | None) -> Record:
        found = (m[1:] for m in _MARKETS if e164.startswith("+" + m[0]))
        country, currency, price = next(found, _UNKNOWN_MARKET)
        return {
            "sid": sid or secrets.token_hex(16),
            "phone_number": e164,
            "friendly_name": national(e164),
            "capabilities": {"voice": True, "sms": True},
            "country": country,
            "region": shapes.region_of(e164, country),
            "number_type": "Landline",
            "rental_price": price,
            "currency": currency,
            "voice_url": None,
            "sms_url": None,
        }

    def _apply(self, record: Record, form: Mapping[str, str]) -> Record:
        if "FriendlyName" in form:
            record["friendly_name"] = form["FriendlyName"]
        if "VoiceUrl" in form:
            record["voice_url"] = exotel_url(form["VoiceUrl"], "VoiceUrl", self.account_sid)
        if "SMSUrl" in form:
            record["sms_url"] = exotel_url(form["SMSUrl"], "SMSUrl", self.account_sid)
        return record

    def _insert(self, record: Record) -> None:
        self._by_sid[record["sid"]] = record
        self._sid_by_number[record["phone_number"]] = record["sid"]

    def _find(self, sid: str) -> Record:
        record = self._by_sid.get(sid)
        if record is None:
            raise ApiFailure(404, f"ExoPhone {sid[:64]} not found", "NOT_FOUND")
        return record
