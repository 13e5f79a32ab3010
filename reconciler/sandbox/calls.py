"""The sandbox's call history: Exotel's Bulk Call Details, ``GET /v1/Accounts/{sid}/Calls``,
served from the call records it is given (``exoplan sandbox --calls FILE``).

A record is ``{phone_number, date_created, status, direction}`` (``date_created`` as
``YYYY-MM-DD HH:MM:SS``, UTC). As Exotel documents it, the endpoint filters by
``PhoneNumber`` (the ExoPhone, up to 5 comma-separated, any spelling), ``DateCreated``
(``gte:...;lte:...``; at most a one-month range, 400 beyond it; the last 31 days when
absent), ``Status`` and ``Direction``; sorts by ``SortBy=DateCreated:asc|desc`` (default
desc); pages by ``PageSize`` (default 50, at most 100) and the ``Before``/``After``
cursors its ``PrevPageUri``/``NextPageUri`` carry. Standard library only (plus
``reconciler.manifest.numbers``).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode

from reconciler.manifest.numbers import national, try_normalise
from reconciler.sandbox.seed import read_data
from reconciler.sandbox.store import ApiFailure

STAMP = "%Y-%m-%d %H:%M:%S"
STATUSES = ("completed", "failed", "busy", "no-answer")
DIRECTIONS = ("inbound", "outbound-dial", "outbound-api")
#: The longest DateCreated range one request may ask ("a maximum date range of 1 month").
MAX_RANGE = timedelta(days=31)
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_NUMBERS = 50, 100, 5
_ROUTE = re.compile(r"/v1/Accounts/([^/]+)/Calls(?:\.json)?")
_RANGE = re.compile(r"gte:([^;]+);lte:(.+)")
#: The customer every sandbox call comes from or goes to.
CUSTOMER = "09999999999"


@dataclass(frozen=True)
class Call:
    """One call in the history of the account's ExoPhone ``number`` (E.164)."""

    sid: str
    number: str
    created: datetime
    status: str
    direction: str


def calls_route(path: str) -> str | None:
    """The account sid of a Calls path, or None for any other path."""
    found = _ROUTE.fullmatch(path)
    return found.group(1) if found else None


def load_calls(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Call records from a JSON (or YAML) file: a list of ``{phone_number, date_created,
    status, direction}``. Raises OSError or ValueError naming the file and record."""
    data = read_data(path)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of call records")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"{path}: call record {index} is not a mapping")
    return data


def read_calls(records: Sequence[dict[str, Any]], country: str) -> list[Call]:
    """Checked calls from ``records``; ValueError names the first bad record."""
    calls = []
    for index, item in enumerate(records):
        number = try_normalise(str(item.get("phone_number", "")), country)
        status, direction = item.get("status", "completed"), item.get("direction", "inbound")
        try:
            created = datetime.strptime(str(item.get("date_created")), STAMP)
        except ValueError:
            created = None
        if number is None or created is None or status not in STATUSES:
            raise ValueError(
                f"call record {index} needs a phone_number, a date_created "
                f"({STAMP}) and a status of {', '.join(STATUSES)}"
            )
        if direction not in DIRECTIONS:
            raise ValueError(f"call record {index}: direction must be one of {DIRECTIONS}")
        digest = hashlib.sha1(f"{index}:{number}:{created}".encode()).hexdigest()[:32]
        calls.append(Call(digest, number, created.replace(tzinfo=timezone.utc), status, direction))
    return calls


class CallLog:
    """The calls of one account, answered as Exotel's Bulk Call Details answers."""

    def __init__(
        self,
        calls: list[Call],
        account_sid: str,
        country: str,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._calls = sorted(calls, key=lambda c: (c.created, c.sid))
        self._account, self._country, self._clock = account_sid, country, clock
        self._lock = threading.Lock()
        self._scripted: list[tuple[int, Any]] = []
        self._asked: list[dict[str, str]] = []

    @property
    def asked(self) -> list[dict[str, str]]:
        """The query of every Calls request answered, in order (for tests)."""
        with self._lock:
            return list(self._asked)

    def answer_next(self, n: int, status: int, payload: Any) -> None:
        """Answer the next ``n`` Calls requests with ``status`` and ``payload`` as given
        (an error, a malformed or a hostile answer), whatever they ask."""
        with self._lock:
            self._scripted += [(status, payload)] * n

    def serve(self, account: str, tenant: str, method: str, query: str) -> tuple[int, Any]:
        """``method .../Accounts/{account}/Calls?query`` from the credentials of account
        ``tenant``: one call log serves every account, since a number belongs to one."""
        if account != tenant:
            raise ApiFailure(404, "Account not found", "NOT_FOUND")
        if method != "GET":
            raise ApiFailure(405, f"Method {method} is not allowed here", "METHOD_NOT_ALLOWED")
        return self.answer(query)

    def answer(self, query: str) -> tuple[int, Any]:
        """(status, body) for ``GET .../Calls?query``: a scripted answer, or the page."""
        with self._lock:
            self._asked.append({k: v[-1] for k, v in parse_qs(query).items()})
            if self._scripted:
                return self._scripted.pop(0)
        return 200, self.page(query)

    def page(self, query: str) -> dict[str, Any]:
        """The answer to ``GET .../Calls?query``; ApiFailure(400) for a bad filter."""
        asked = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        found = self._matching(asked)
        if asked.get("SortBy", "DateCreated:desc") == "DateCreated:desc":
            found.reverse()
        elif asked["SortBy"] != "DateCreated:asc":
            raise ApiFailure(400, "SortBy must be DateCreated:asc or DateCreated:desc", "BAD")
        size = _page_size(asked.get("PageSize"))
        start, end = _window(found, asked, size)
        return {
            "Metadata": self._metadata(asked, found, start, end, size),
            "Calls": [self._shown(call) for call in found[start:end]],
        }

    def _matching(self, asked: dict[str, str]) -> list[Call]:
        """The calls that pass every filter, oldest first (each filter checked once,
        so that a bad one is a 400 however few calls there are)."""
        low, high = self._range(asked.get("DateCreated"))
        wanted = _numbers(asked.get("PhoneNumber"), self._country)
        return [
            call
            for call in self._calls
            if low <= call.created <= high
            and (wanted is None or call.number in wanted)
            and asked.get("Status", call.status) == call.status
            and asked.get("Direction", call.direction) == call.direction
        ]

    def _range(self, text: str | None) -> tuple[datetime, datetime]:
        if text is None:
            now = self._clock()
            return now - MAX_RANGE, now
        found = _RANGE.fullmatch(text.strip())
        try:
            low, high = (_stamp(found.group(i)) for i in (1, 2)) if found else (None, None)
        except ValueError:
            low = high = None
        if low is None or high is None or high < low:
            message = "DateCreated must be gte:YYYY-MM-DD HH:MM:SS;lte:YYYY-MM-DD HH:MM:SS"
            raise ApiFailure(400, message, "BAD_REQUEST")
        if high - low > MAX_RANGE:
            raise ApiFailure(400, "DateCreated may span at most one month", "BAD_REQUEST")
        return low, high

    def _metadata(
        self, asked: dict[str, str], found: list[Call], start: int, end: int, size: int
    ) -> dict[str, Any]:
        base = {k: v for k, v in asked.items() if k not in ("Before", "After")}
        path = f"/v1/Accounts/{self._account}/Calls.json?"

        def uri(**cursor: str) -> str:
            return path + urlencode({**base, **cursor})

        return {
            "Total": len(found),
            "PageSize": size,
            "FirstPageUri": uri(),
            "PrevPageUri": uri(Before=found[start].sid) if start > 0 else None,
            "NextPageUri": uri(After=found[end - 1].sid) if end < len(found) else None,
        }

    def _shown(self, call: Call) -> dict[str, Any]:
        exophone = national(call.number)
        inbound = call.direction == "inbound"
        return {
            "Sid": call.sid,
            "ParentCallSid": None,
            "DateCreated": call.created.strftime(STAMP),
            "DateUpdated": call.created.strftime(STAMP),
            "AccountSid": self._account,
            "To": exophone if inbound else CUSTOMER,
            "From": CUSTOMER if inbound else exophone,
            "PhoneNumberSid": exophone,
            "Status": call.status,
            "Duration": "30" if call.status == "completed" else "0",
            "Price": "1.000",
            "Direction": call.direction,
            "RecordingUrl": None,
        }


def _stamp(text: str) -> datetime:
    return datetime.strptime(text.strip(), STAMP).replace(tzinfo=timezone.utc)


def _numbers(text: str | None, country: str) -> set[str] | None:
    if text is None:
        return None
    parts = [part for part in text.split(",") if part.strip()]
    if len(parts) > MAX_NUMBERS:
        raise ApiFailure(400, f"PhoneNumber takes at most {MAX_NUMBERS} numbers", "BAD_REQUEST")
    return {e164 for part in parts if (e164 := try_normalise(part.strip(), country))}


def _page_size(text: str | None) -> int:
    if text is None:
        return DEFAULT_PAGE_SIZE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise ApiFailure(400, f"PageSize must be 1 to {MAX_PAGE_SIZE}", "BAD_REQUEST")
    return int(text)


def _window(found: list[Call], asked: dict[str, str], size: int) -> tuple[int, int]:
    """The slice of ``found`` a page shows: the first, or the one a cursor names."""
    sids = [call.sid for call in found]
    for cursor in ("After", "Before"):
        if cursor in asked and asked[cursor] not in sids:
            raise ApiFailure(400, f"{cursor} is not a cursor of this listing", "BAD_REQUEST")
    if "After" in asked:
        start = sids.index(asked["After"]) + 1
        return start, min(start + size, len(found))
    if "Before" in asked:
        end = sids.index(asked["Before"])
        return max(0, end - size), end
    return 0, min(size, len(found))
