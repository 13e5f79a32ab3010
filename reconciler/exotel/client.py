"""Exotel's ExoPhone API over HTTP; the only module in exoplan that imports requests.

``ExotelClient`` lists, reads, buys, re-points and releases ExoPhones. It paces itself,
retries only what is safe to retry (``retry``), and raises every failure as
``ApiStatusError`` or ``ApiConnectionError`` with the method and URL path, never the
credentials; requests' exceptions are converted in one place, ``ExotelClient._send``.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from reconciler import __version__
from reconciler.errors import (
    ApiConnectionError,
    ApiError,
    ApiNotSent,
    ApiOutcomeUnknown,
    ApiStatusError,
    UsageError,
)
from reconciler.exotel import answers, pacing, retry
from reconciler.manifest import numbers
from reconciler.model import DEFAULT_COUNTRY, DEFAULT_RATE_LIMIT, DEFAULT_TIMEOUT

log = logging.getLogger("exoplan.http")

REGION_HOSTS: dict[str, str] = {
    "singapore": "https://api.exotel.com",
    "mumbai": "https://api.in.exotel.com",
}
_KEY, _TOKEN, _URL = "EXOTEL_API_KEY", "EXOTEL_API_TOKEN", "EXOTEL_API_URL"
_REASON = re.compile(r"\[Errno [^\]]*\][^'\")]*|[\w. ]*timed out\.?( \(\w+ timeout=[^)]*\))?")
_AUTH_HINT = f"check {_KEY} and {_TOKEN}, and that the region matches the account"


@dataclass(frozen=True, repr=False)
class Credentials:
    """An Exotel API key and token; their repr never shows either."""

    api_key: str
    api_token: str

    def __repr__(self) -> str:
        return "Credentials(api_key='***', api_token='***')"


class Purchased(NamedTuple):
    """A bought number's record; ``adopted`` when the account turned out to own it already."""

    record: dict[str, Any]
    adopted: bool


def credentials_from_env(env: Mapping[str, str] = os.environ) -> Credentials:
    """Read the key and token from the environment; UsageError names what is missing."""
    values = {name: env.get(name, "").strip() for name in (_KEY, _TOKEN)}
    missing = [name for name, value in values.items() if not value]
    if missing:
        names, verb = " and ".join(missing), "is" if len(missing) == 1 else "are"
        hint = "export the API key and token from Exotel's dashboard (Settings > API Settings)"
        raise UsageError(f"{names} {verb} not set; {hint}")
    for name, value in values.items():
        _check_sendable(name, value)
    return Credentials(values[_KEY], values[_TOKEN])


def _check_sendable(name: str, value: str) -> None:
    """HTTP Basic auth carries Latin-1 without control characters; say which variable
    holds something else (never the value: it is a secret)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise UsageError(
            f"{name} holds characters HTTP Basic auth cannot send (not Latin-1): copy it "
            "again from Exotel's dashboard (Settings > API Settings)"
        ) from None
    if not value.isprintable():
        raise UsageError(
            f"{name} holds control characters: copy it again from Exotel's dashboard "
            "(Settings > API Settings)"
        )


def base_url_for(region: str, env: Mapping[str, str] = os.environ) -> str:
    """The API's base URL: ``EXOTEL_API_URL`` when set, else the region's host."""
    override = env.get(_URL, "").strip()
    if override:
        return override.rstrip("/")
    if region.lower() not in REGION_HOSTS:
        known = ", ".join(sorted(REGION_HOSTS))
        raise UsageError(f"unknown Exotel region '{region}'; use one of: {known}")
    return REGION_HOSTS[region.lower()]


class ExotelClient:
    """ExoPhone operations for one account; one instance may be shared by many threads.

    ``max_retries`` counts tries after the first; ``rate_limit`` is per minute, 0 = none."""

    def __init__(
        self,
        account_sid: str,
        base_url: str,
        credentials: Credentials,
        *,
        rate_limit: float = DEFAULT_RATE_LIMIT,
        timeout: tuple[float, float] = (5.0, DEFAULT_TIMEOUT),
        max_retries: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        max_retry_after: float = 120.0,
        pool_size: int = 16,
        default_country: str = DEFAULT_COUNTRY,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._origin, self._prefix = _split_base(base_url)
        self._root = f"/v2_beta/Accounts/{quote(account_sid, safe='')}/IncomingPhoneNumbers"
        self._session = _new_session(credentials, pool_size)
        self._secrets = _secrets_of(credentials)
        self._stopped = threading.Event()
        # Waiting (for a pacing slot, a back-off) ends early when the run is stopping.
        sleep = sleep or self._stoppable_sleep
        self._limiter = pacing.RateLimiter(rate_limit, clock=clock, sleep=sleep)
        self._timeout = timeout
        self._max_retries = max(0, max_retries)
        self._backoff = (backoff_base, backoff_cap)
        self._max_retry_after = max_retry_after
        self._country = default_country
        self._sleep = sleep
        self._clock = clock

    def stop_sending(self) -> None:
        """Send no further request (a signal, an authentication failure): each raises
        ApiNotSent instead; those already sent finish."""
        self._stopped.set()

    def _stoppable_sleep(self, seconds: float) -> None:
        self._stopped.wait(seconds)

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def __enter__(self) -> ExotelClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def list_numbers(self, page_size: int = 100) -> list[dict[str, Any]]:
        """Every number the account owns, page by page, always on our own host."""
        records: dict[str, dict[str, Any]] = {}
        page = 0
        while True:
            answer = self._call("GET", self._root, {"Page": page, "PageSize": page_size})
            items = self._page_items(answer)
            fresh = {key: item for item in items if (key := answers.identity(item)) not in records}
            if items and not fresh:  # a server repeating a page would loop forever
                if len(items) >= answers.page_size(answer.body, page_size):
                    odd = f"page {page} repeating earlier records (listing may be incomplete)"
                    raise self._error("GET", self._root, answer, odd)
                break
            records.update(fresh)
            if not answers.has_next_page(answer.body, len(items), page_size):
                break
            page += 1
        return list(records.values())

    def owned_index(self) -> dict[str, dict[str, Any]]:
        """Every owned number's record keyed by its E.164 form."""
        index: dict[str, dict[str, Any]] = {}
        for record in self.list_numbers():
            e164 = numbers.try_normalise(str(record.get("phone_number") or ""), self._country)
            if e164 is not None:
                index.setdefault(e164, record)
        return index

    def find_owned(self, e164: str) -> dict[str, Any] | None:
        """The record of ``e164`` if the account owns it, else None."""
        return self.owned_index().get(numbers.try_normalise(e164, self._country) or e164)

    def get_number(self, sid: str) -> dict[str, Any]:
        """One owned number's record."""
        path = self._number_path(sid)
        return self._expect_object("GET", path, self._call("GET", path))

    def update(self, sid: str, params: dict[str, str]) -> dict[str, Any]:
        """Change only the given fields (VoiceUrl, SMSUrl, FriendlyName); the new record."""
        path = self._number_path(sid)
        try:
            return self._expect_object("PUT", path, self._call("PUT", path, params))
        except ApiError as exc:
            _raise_unknown_from(exc)
            raise

    def release(self, sid: str) -> None:
        """Give the number back to Exotel; any 2xx (documented: 202 Accepted) is success."""
        try:
            self._call("DELETE", self._number_path(sid))
        except ApiError as exc:
            _raise_unknown_from(exc)
            raise

    def purchase(self, phone_number: str, params: dict[str, str]) -> Purchased:
        """Buy ``phone_number`` with optional VoiceUrl, SMSUrl and FriendlyName.

        Never POSTs twice blindly: an unknown outcome (timeout, dropped connection, 5xx)
        or a 409 / "already owned" answer is followed by a look in the account, and the
        number is adopted if it is there; only an unknown outcome is then tried again.
        When that look fails too, ApiOutcomeUnknown: the number may have been bought.
        """
        wanted = numbers.try_normalise(phone_number, self._country) or phone_number
        form = dict(params, PhoneNumber=phone_number)
        for attempt in range(self._max_retries + 1):
            try:
                answer = self._call("POST", self._root, form)
                return Purchased(self._expect_object("POST", self._root, answer), adopted=False)
            except ApiError as exc:
                if not (retry.outcome_unknown(exc) or retry.says_already_owned(exc)):
                    raise
                owned = self._look_up_after(exc, wanted)
                if owned is not None:
                    log.info("%s is owned by the account: adopting it", wanted)
                    return Purchased(owned, adopted=True)
                if not retry.may_repeat(exc) or attempt == self._max_retries:
                    raise
                self._back_off(attempt, exc)
        raise AssertionError("unreachable")

    def _call(
        self, method: str, path: str, fields: Mapping[str, Any] | None = None
    ) -> answers.Answer:
        """One paced request, retried where safe; a 2xx answer or an error.

        ``fields`` go in the query of a GET and in the form body otherwise. A POST (a
        purchase) is never repeated here after an unknown outcome: ``purchase`` decides.
        """
        retried_unknown = False
        for attempt in range(self._max_retries + 1):
            status = 0
            try:
                answer = self._send(method, path, fields)
                status = answer.status
                # A DELETE repeated after an unknown outcome may find the number gone.
                gone = method == "DELETE" and retried_unknown and status == 404
                if 200 <= status < 300 or gone:
                    return answer
                error: ApiError = self._error(method, path, answer)
            except ApiConnectionError as exc:
                error = exc
            repeat = method != "POST" and retry.may_repeat(error)
            if attempt == self._max_retries or not (repeat or status == 429):
                raise error
            if status == 429:
                self._wait_rate_limited(answer, attempt, error)
            else:
                self._back_off(attempt, error)
                retried_unknown = True
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, fields: Mapping[str, Any] | None) -> answers.Answer:
        """Send one request through the limiter; the one place requests' errors are converted."""
        self._limiter.acquire()
        if self._stopped.is_set():
            raise ApiNotSent(
                "not sent: exoplan is stopping", method=method, path=self._prefix + path
            )
        query, form = (fields, None) if method == "GET" else (None, fields)
        shown = self._prefix + path + (f"?{urlencode(query)}" if query else "")
        url, started = self._origin + self._prefix + path, time.perf_counter()
        try:
            response = self._session.request(
                method, url, params=query, data=form, timeout=self._timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            took = time.perf_counter() - started
            log.debug("%s %s -> %s (%.3fs)", method, shown, type(exc).__name__, took)
            raise self._connection_error(method, path, exc) from exc
        took = time.perf_counter() - started
        log.debug("%s %s -> %d (%.3fs)", method, shown, response.status_code, took)
        body = answers.decode(response.content)
        answer = answers.Answer(response.status_code, response.headers, body, response.text)
        quota = retry.quota_reset_delay(answer.headers, time.time())
        if quota and answer.status != 429:
            self._pause_all(quota, "rate-limit quota spent")
        return answer

    def _back_off(self, attempt: int, reason: ApiError) -> None:
        """Sleep this thread only, before retrying after an unknown outcome."""
        delay = retry.backoff_delay(attempt, *self._backoff)
        log.info("%s; retry %d of %d in %.1fs", reason, attempt + 1, self._max_retries, delay)
        self._sleep(delay)

    def _wait_rate_limited(self, answer: answers.Answer, attempt: int, reason: ApiError) -> None:
        """After a 429, wait as long as Exotel asked, or back off when it did not say."""
        asked = retry.parse_retry_after(answer.headers, time.time())
        fallback = retry.backoff_delay(attempt, *self._backoff, rng=lambda: 1.0)
        self._pause_all(fallback if asked is None else asked, f"{reason}; retry {attempt + 1}")

    def _pause_all(self, delay: float, why: str) -> None:
        """Hold every thread sharing this client back (capped at max_retry_after)."""
        delay = min(delay, self._max_retry_after)
        log.info("%s: all requests wait %.1fs", why, delay)
        self._limiter.pause_until(self._clock() + delay)

    def _number_path(self, sid: str) -> str:
        return f"{self._root}/{quote(sid, safe='')}"

    def _page_items(self, answer: answers.Answer) -> list[dict[str, Any]]:
        body = answer.body
        items = (body.get("incoming_phone_numbers") or []) if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise self._error("GET", self._root, answer, "a body that is not a page of numbers")
        return items

    def _look_up_after(self, exc: ApiError, wanted: str) -> dict[str, Any] | None:
        """Whether the account owns ``wanted`` now; if that cannot be told, say so."""
        log.info("%s; checking whether the account now owns %s", exc, wanted)
        try:
            return self.find_owned(wanted)
        except ApiError as lookup:
            message = f"{exc.message} (it may have been bought; checking failed: {lookup})"
            raise ApiOutcomeUnknown(
                message, method=exc.method, path=exc.path, status=exc.status, code=exc.code
            ) from lookup

    def _expect_object(self, method: str, path: str, answer: answers.Answer) -> dict[str, Any]:
        if isinstance(answer.body, dict):
            return answer.body
        raise self._error(method, path, answer, "a body that is not a JSON object")

    def _error(
        self, method: str, path: str, answer: answers.Answer, odd: str = ""
    ) -> ApiStatusError:
        """The error for a non-2xx answer, or for a 2xx one whose body is ``odd``."""
        message, code = answers.exotel_message(answer)
        if odd:
            message, code = f"Exotel answered with {odd}: {message}", None
        elif answer.status == 401:
            message = f"{message} ({_AUTH_HINT})"
        path, message = self._prefix + path, self._scrub(message)
        return ApiStatusError(message, method=method, path=path, status=answer.status, code=code)

    def _connection_error(self, method: str, path: str, exc: Exception) -> ApiConnectionError:
        what = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
        message = self._scrub(f"{what} ({urlsplit(self._origin).netloc}): {_reason(exc)}")
        return ApiConnectionError(message, method=method, path=self._prefix + path)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _raise_unknown_from(exc: ApiError) -> None:
    """Raise ApiOutcomeUnknown for a change whose outcome cannot be told; else return."""
    if isinstance(exc, (ApiNotSent, ApiOutcomeUnknown)) or not retry.outcome_unknown(exc):
        return
    raise ApiOutcomeUnknown(
        exc.message, method=exc.method, path=exc.path, status=exc.status, code=exc.code
    ) from exc


def _split_base(base_url: str) -> tuple[str, str]:
    """(scheme://host[:port], path prefix); userinfo is dropped: credentials come from env."""
    hint = f"set {_URL} to an http(s) URL such as http://127.0.0.1:8080, or unset it"
    if not base_url.isprintable() or len(base_url) > 2000 or any(c.isspace() for c in base_url):
        raise UsageError(f"{_URL} is not a URL (it holds spaces or control characters); {hint}")
    try:
        parts = urlsplit(base_url.strip())
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise UsageError(f"{_URL} is not a valid URL ({exc}); {hint}") from None
    netloc = parts.netloc.rpartition("@")[2]
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        shown = f"{parts.scheme}://{netloc}{parts.path}"[:200]
        raise UsageError(f"{_URL}: '{shown}' is not an http(s) URL of a host; {hint}")
    return f"{parts.scheme}://{netloc}", parts.path.rstrip("/")


def _new_session(credentials: Credentials, pool_size: int) -> requests.Session:
    session = requests.Session()
    session.auth = (credentials.api_key, credentials.api_token)
    session.headers.update({"Accept": "application/json", "User-Agent": f"exoplan/{__version__}"})
    adapter = HTTPAdapter(pool_maxsize=pool_size)
    for scheme in ("https://", "http://"):
        session.mount(scheme, adapter)
    return session


def _secrets_of(credentials: Credentials) -> tuple[str, ...]:
    pair = f"{credentials.api_key}:{credentials.api_token}".encode()
    candidates = (base64.b64encode(pair).decode(), credentials.api_key, credentials.api_token)
    # Very short values would blank out ordinary words; real keys and tokens are long.
    return tuple(secret for secret in candidates if len(secret) >= 4)


def _reason(exc: Exception) -> str:
    """The useful tail of requests' long messages, e.g. '[Errno 111] Connection refused'."""
    found = _REASON.search(str(exc))
    return found.group(0).strip() if found else answers.snippet(str(exc)) or type(exc).__name__
