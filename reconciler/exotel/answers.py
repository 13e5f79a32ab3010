"""Reading Exotel's answers: decoded bodies, Exotel's error message and code, pages, and
whether an answer fits the question (shape and identity: the number answered is the
number asked for).

Pure functions over an :class:`Answer` that the client has already taken from requests.
Nothing an answer says is trusted beyond its shape: bodies are bounded, pages must be
pages, records must carry a sid and the number asked about.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, cast

from reconciler.manifest import numbers
from reconciler.model import CURRENCIES, DEFAULT_COUNTRY, Available
from reconciler.records import TEXT_FIELDS, NumberRecord

#: The variable that points exoplan at another API host (named in redirect hints).
URL_VARIABLE = "EXOTEL_API_URL"


class Answer(NamedTuple):
    """One HTTP answer with requests left behind; ``body`` is decoded JSON or None."""

    status: int
    headers: Mapping[str, str]
    body: Any
    text: str


class Purchased(NamedTuple):
    """A bought number's record, as Exotel's purchase answer gives it."""

    record: NumberRecord


def decode(content: bytes) -> Any:
    """The JSON of an answer, or None. A number that is not finite (NaN, Infinity, which
    JSON does not have, or one too large for a float) is read as null, an unknown value:
    it must not reach a journal or a state, whose readers refuse one."""
    try:
        if not content.strip():
            return None
        return json.loads(content, parse_constant=_unknown, parse_float=_finite_or_none)
    except ValueError:
        return None


def _unknown(word: str) -> None:
    return None


def _finite_or_none(word: str) -> float | None:
    value = float(word)
    return value if math.isfinite(value) else None


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 200 else flat[:197] + "..."


def text(value: Any) -> str | None:
    ok = isinstance(value, (str, int)) and not isinstance(value, bool)
    return (str(value).strip() or None) if ok else None


def exotel_message(answer: Answer) -> tuple[str, str | None]:
    """Exotel's message and code: RestException, a top-level field, or the raw body."""
    body = answer.body if isinstance(answer.body, dict) else {}
    rest = body.get("RestException")
    if isinstance(rest, dict) and (text(rest.get("Message")) or text(rest.get("Code"))):
        return text(rest.get("Message")) or "no message", text(rest.get("Code"))
    for key in ("message", "Message", "error", "error_message", "detail"):
        value = body.get(key)
        found = text(value.get("message") if isinstance(value, dict) else value)
        if found:
            return found, text(body.get("code") or body.get("Code"))
    if 300 <= answer.status < 400:
        return f"unexpected redirect; check {URL_VARIABLE} and the account's region", None
    return snippet(answer.text) or "(empty body)", None


#: What usually lies behind the errors a first run meets (the docs' error-code page).
HINTS = {
    401: (
        "wrong API key or token (in the variables account.credentials names, by default "
        "EXOTEL_API_KEY and EXOTEL_API_TOKEN), or the account is in the other region: "
        "check account.region"
    ),
    403: (
        "the credentials are valid but not allowed: the account may be suspended, or its "
        "IP allow-list does not hold this machine's address (CI runners' addresses change)"
    ),
    404: "wrong account.region or account.sid: the account was not found on this host",
}


def error_message(
    answer: Answer, odd: str, *, account_path: bool = False
) -> tuple[str, str | None]:
    """Message and code for a non-2xx answer, or for a 2xx one whose body is ``odd``;
    ``account_path`` when the request was about the account (list, purchase), not one
    number, so that a 404 means the account was not found."""
    message, code = exotel_message(answer)
    if odd:
        return f"Exotel answered with {odd}: {message}", None
    hint = HINTS.get(answer.status) if answer.status != 404 or account_path else None
    return (f"{message} ({hint})" if hint else message), code


def identity(record: Mapping[str, Any]) -> str:
    return text(record.get("sid")) or json.dumps(record, sort_keys=True, default=str)


#: The largest answer read: a page of 50 numbers is a few tens of KiB.
MAX_BODY_BYTES = 16 << 20


class BodyTooLarge(Exception):
    """The answer's body is larger than MAX_BODY_BYTES."""


def read_body(chunks: Iterable[bytes], limit: int = MAX_BODY_BYTES) -> bytes:
    """Join ``chunks`` of an answer's body, refusing more than ``limit`` bytes."""
    parts: list[bytes] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge(f"an answer larger than {limit >> 20} MiB")
        parts.append(chunk)
    return b"".join(parts)


def clean_record(record: Mapping[str, Any]) -> NumberRecord:
    """A number's record with its text fields (:data:`~reconciler.model.TEXT_FIELDS`)
    as text, whatever was sent: numbers as their decimal text, anything else (objects,
    lists, booleans) None. Exotel's other fields are kept as they came."""
    cleaned = dict(record)
    for key in TEXT_FIELDS:
        if key not in cleaned:
            continue
        value = cleaned[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            cleaned[key] = str(value) if math.isfinite(value) else None
        elif not isinstance(value, str):
            cleaned[key] = None
    return cast(NumberRecord, cleaned)


def available_items(body: Any) -> list[NumberRecord] | None:
    """The records of an AvailablePhoneNumbers answer (a bare array), or None when the
    body is not one: each record needs a phone_number."""
    if isinstance(body, dict) and isinstance(body.get("available_phone_numbers"), list):
        body = body["available_phone_numbers"]  # a wrapped answer, as a v1-style API gives
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        return None
    if not all(text(item.get("phone_number")) for item in body):
        return None
    return [clean_record(item) for item in body]


def available(record: Mapping[str, Any], country: str) -> Available | None:
    """A search result as an :class:`Available` (None when its number is not one); the
    currency is the market's, as Exotel's search answers name none."""
    market = (text(record.get("country")) or country).upper()
    number = numbers.try_normalise(text(record.get("phone_number")) or "", market)
    if number is None:
        return None
    capabilities = record.get("capabilities")
    capabilities = capabilities if isinstance(capabilities, dict) else {}
    return Available(
        number=number,
        number_type=text(record.get("number_type")),
        region=text(record.get("region")),
        voice=capabilities.get("voice") is True,
        sms=capabilities.get("sms") is True,
        rental_price=text(record.get("rental_price")),
        currency=CURRENCIES.get(market),
    )


def misfit(
    record: Mapping[str, Any],
    *,
    sid: str | None = None,
    number: str | None = None,
    country: str = "",
) -> str:
    """Why ``record`` is not the answer about the number asked for ("" when it is).

    ``number`` is the E.164 form asked for, compared with the record's own number read
    in ``country`` (Exotel writes some numbers 0-prefixed); ``sid`` the sid asked for."""
    got_sid = text(record.get("sid"))
    if not got_sid:
        return "a record without a sid"
    if sid is not None and got_sid != sid:
        return f"the record of another ExoPhone (sid {got_sid[:40]!r}, asked for {sid[:40]!r})"
    if number is not None:
        got = text(record.get("phone_number")) or ""
        if numbers.try_normalise(got, country or DEFAULT_COUNTRY) != number:
            return f"the record of another number ({got[:40]!r}, asked for {number})"
    return ""


_REASON = re.compile(r"\[Errno [^\]]*\][^'\")]*|[\w. ]*timed out\.?( \(\w+ timeout=[^)]*\))?")


def connection_reason(exc: Exception) -> str:
    """The useful tail of requests' long messages, e.g. '[Errno 111] Connection refused'."""
    found = _REASON.search(str(exc))
    return found.group(0).strip() if found else snippet(str(exc)) or type(exc).__name__
