"""Exotel's call history of one ExoPhone: how many calls it had in a time range, and
when the last one was (the usage guard asks this before any release).

What Exotel's Calls API does (Voice v1 "Call Details", Bulk Call Details):

- ``GET /v1/Accounts/<sid>/Calls`` (``.json`` optional), same hosts and Basic auth as
  the ExoPhone API, but the Voice API's rate budget (documented: 200/min per account),
  so :class:`CallsClient` paces on a budget of its own.
- Filters: ``PhoneNumber`` (the ExoPhone, "virtual number"; up to 5 comma-separated),
  ``DateCreated=gte:YYYY-MM-DD HH:MM:SS;lte:YYYY-MM-DD HH:MM:SS``, ``Status``,
  ``Direction``, ``To``/``From``, ``Duration``, ``Price``, ``Sid``. Parameters must be
  URL-encoded. History goes back **six months**, and one request may span at most **one
  month**; without ``DateCreated`` the last 31 days are searched. Calls still in
  progress are not listed.
- ``SortBy=DateCreated:asc|desc`` (default desc); ``PageSize`` default 50, at most 100;
  further pages through the ``Before``/``After`` cursors of ``PrevPageUri``/``NextPageUri``.
- The answer: ``{"Metadata": {"Total", "PageSize", "FirstPageUri", "PrevPageUri",
  "NextPageUri"}, "Calls": [{"Sid", "DateCreated", "Status", "Direction", "To", "From",
  ...}]}``. ``Metadata.Total`` counts every call matching the filters, so one request
  with ``PageSize=1`` and newest first gives the count and the last call at once.
- Not documented: which spelling ``PhoneNumber`` expects (the examples write national
  ``0XXXXX...``, ``To``/``From`` say E.164): exoplan sends both spellings of the one
  number in the one request, so a call is found whichever Exotel matches.

Nothing in an answer is trusted beyond its shape: ``Total`` must be a whole number
from 0 to :data:`MAX_TOTAL`, a call's ``DateCreated`` a date inside the range asked,
and a count above 0 must come with its call; anything else is a malformed answer.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from reconciler.errors import ApiStatusError
from reconciler.exotel.answers import Answer
from reconciler.exotel.client import ExotelClient
from reconciler.exotel.settings import Credentials
from reconciler.manifest import numbers
from reconciler.model import VOICE_RATE_LIMIT

#: The largest count believed: a number with more calls in a month is a broken answer.
MAX_TOTAL = 10**9
#: How Exotel writes a call's DateCreated (the account's time, no zone).
STAMP = "%Y-%m-%d %H:%M:%S"
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
#: A refusal of call logs is no refusal of ExoPhones: say what may be missing.
HINT_403 = (
    "the API key may lack access to call logs: allow it to read call details in "
    "Exotel's API settings, or see docs/releasing.md for the ways out"
)


class CallCount(NamedTuple):
    """Calls in one range: how many, and the newest one's DateCreated (None for none)."""

    total: int
    last_call: str | None


class CallsClient(ExotelClient):
    """The call history of one account. A client of its own: its reads are paced on the
    Voice API's budget (``rate_limit`` a minute), apart from the ExoPhone API's, and it
    shares the transport (retries, bounded answers, errors without credentials)."""

    def __init__(
        self,
        account_sid: str,
        base_url: str,
        credentials: Credentials,
        *,
        rate_limit: float = VOICE_RATE_LIMIT,
        **options: Any,
    ) -> None:
        options.setdefault("max_retries", 2)  # a read: a few tries, then refuse the release
        super().__init__(
            account_sid,
            base_url,
            credentials,
            rate_limit=rate_limit,
            read_rate_limit=rate_limit,
            **options,
        )
        self._calls = f"/v1/Accounts/{quote(account_sid, safe='')}/Calls"

    def count_calls(self, number: str, start: datetime, end: datetime) -> CallCount:
        """Calls of the ExoPhone ``number`` (E.164) created from ``start`` to ``end``
        (at most a month apart), in one request. Raises ApiError on an error answer
        after retries, or on an answer that does not fit the question."""
        params = {
            "PhoneNumber": ",".join(spellings(number)),
            "DateCreated": f"gte:{start.strftime(STAMP)};lte:{end.strftime(STAMP)}",
            "SortBy": "DateCreated:desc",
            "PageSize": 1,
        }
        try:
            answer = self._call("GET", self._calls, params)
        except ApiStatusError as exc:
            if exc.status != 403:
                raise
            raise ApiStatusError(
                f"{exc.message}; {HINT_403}",
                method=exc.method,
                path=exc.path,
                status=exc.status,
                code=exc.code,
            ) from exc
        return self._counted(answer, start, end)

    def _counted(self, answer: Answer, start: datetime, end: datetime) -> CallCount:
        found = read_count(answer.body, start, end)
        if isinstance(found, str):
            raise self._error("GET", self._calls, answer, found)
        return found


def spellings(number: str) -> list[str]:
    """``number`` in E.164 and, where it differs, in Exotel's national spelling."""
    import phonenumbers  # loaded with the number tables only when the guard runs

    try:
        local = numbers.national(number)
    except phonenumbers.NumberParseException:  # not a number phonenumbers reads
        return [number]
    return [number] if local in ("", number) else [number, local]


def read_count(body: Any, start: datetime, end: datetime) -> CallCount | str:
    """The count in a Calls answer, or what is wrong with the answer."""
    if not isinstance(body, dict) or not isinstance(body.get("Metadata"), dict):
        return "a body without Metadata (not a Calls answer)"
    total = body["Metadata"].get("Total")
    if isinstance(total, str) and total.isdigit() and len(total) <= 10:
        total = int(total)  # some v1 answers write counts as text
    if not isinstance(total, int) or isinstance(total, bool) or not 0 <= total <= MAX_TOTAL:
        return f"a Metadata.Total that is not a count from 0 to {MAX_TOTAL}"
    calls = body.get("Calls")
    if not isinstance(calls, list):
        return "a Calls field that is not a list"
    if not total:
        return "calls listed with a Total of 0" if calls else CallCount(0, None)
    if not calls or not isinstance(calls[0], dict):
        return f"a Total of {total} without its newest call"
    created = calls[0].get("DateCreated")
    if not isinstance(created, str) or not _STAMP.fullmatch(created):
        return "a call whose DateCreated is not a YYYY-MM-DD HH:MM:SS date"
    try:
        when = datetime.strptime(created, STAMP)
    except ValueError:
        return "a call whose DateCreated is not a real date"
    if not start.replace(tzinfo=None) <= when <= end.replace(tzinfo=None):
        return "a call outside the dates asked for"
    return CallCount(total, created)
