"""Exotel's ExoPhone API over HTTP; the only module in exoplan that imports requests.

``ExotelClient`` lists, reads, buys, re-points and releases ExoPhones. It paces itself,
retries only what is safe to retry (``retry``), and raises every failure as
``ApiStatusError`` or ``ApiConnectionError`` with the method and URL path, never the
credentials; requests' exceptions are converted in one place, ``ExotelClient._send``.
Each request is bounded as a whole (connect to last byte within ``--timeout``, at most
16 MiB), and every answer must fit its question (``answers.misfit``): a purchase answer
about another number, or without a sid, is an unknown outcome, never a bought number.
Where to connect and with which credentials is :mod:`reconciler.exotel.settings`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from reconciler import __version__, model
from reconciler.errors import (
    ApiConnectionError,
    ApiError,
    ApiNotConnected,
    ApiNotSent,
    ApiOutcomeUnknown,
    ApiStatusError,
)
from reconciler.exotel import answers, listing, pacing, retry
from reconciler.exotel.answers import Purchased as Purchased
from reconciler.exotel.settings import (
    REGION_HOSTS,
    Credentials,
    base_url_for,
    credentials_from_env,
    secrets_of,
    split_base,
)
from reconciler.manifest import numbers
from reconciler.model import DEFAULT_COUNTRY, DEFAULT_RATE_LIMIT, DEFAULT_TIMEOUT
from reconciler.records import NumberRecord, Owned

__all__ = ["REGION_HOSTS", "Credentials", "ExotelClient", "base_url_for", "credentials_from_env"]

log = logging.getLogger("exoplan.http")


class ExotelClient:
    """ExoPhone operations for one account; one instance may be shared by many threads.

    ``max_retries`` counts tries after the first. ``rate_limit`` caps writes a minute and
    ``read_rate_limit`` reads (0 = no cap); within the caps the client paces each to what
    Exotel advertises. Without ``read_rate_limit``, reads go at DEFAULT_READ_RATE_LIMIT
    until Exotel advertises its limit, then at that. Configured rates are used at
    ``headroom`` (e.g. 0.95) of their value."""

    def __init__(
        self,
        account_sid: str,
        base_url: str,
        credentials: Credentials,
        *,
        rate_limit: float = DEFAULT_RATE_LIMIT,
        read_rate_limit: float | None = None,
        headroom: float = 1.0,
        timeout: tuple[float, float] = (5.0, DEFAULT_TIMEOUT),
        max_retries: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        max_retry_after: float = 120.0,
        pool_size: int = 16,
        default_country: str = DEFAULT_COUNTRY,
        sleep: Callable[[float], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._origin, self._prefix = split_base(base_url)
        self._root = f"/v2_beta/Accounts/{quote(account_sid, safe='')}/IncomingPhoneNumbers"
        self._session = _new_session(credentials, pool_size)
        self._secrets = secrets_of(credentials)
        self._stopped = threading.Event()
        # Waiting (for a pacing slot, a back-off) ends early when the run is stopping.
        sleep = sleep or self._stopped.wait
        self._pacer = pacing.Pacer.configured(
            rate_limit, read_rate_limit, headroom, max_retry_after, clock, sleep
        )
        self._timeout = timeout
        self._max_retries = max(0, max_retries)
        self._backoff = (backoff_base, backoff_cap)
        self._max_retry_after = max_retry_after
        self._country = default_country
        self._sleep = sleep

    def stop_sending(self) -> None:
        """Send nothing more (a signal, a 401): later requests raise ApiNotSent."""
        self._stopped.set()

    def waiting(self) -> tuple[float, str] | None:
        """The wait before the next request can go, and its reason (see RateLimiter)."""
        return self._pacer.waiting()

    def eta(self, calls: int) -> float | None:
        """Seconds the pacing of writes needs for ``calls`` more (see Pacer.eta)."""
        return self._pacer.eta(calls)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ExotelClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def list_numbers(self, page_size: int = 50) -> list[NumberRecord]:
        """Every number the account owns, page by page, always on our own host; raises
        ApiStatusError for a listing that cannot be read in full (see ``listing``)."""
        read = listing.Listing(page_size, self._country)
        for page in range(listing.MAX_PAGES):
            answer = self._call("GET", self._root, {"Page": page, "PageSize": page_size})
            try:
                more = read.read(page, answer.body)
            except listing.Untrusted as exc:
                raise self._error("GET", self._root, answer, str(exc)) from None
            if not more:
                return list(read.records.values())
        odd = f"pages that never end ({listing.MAX_PAGES} read; listing refused)"
        raise self._error("GET", self._root, answer, odd)

    def owned_index(self) -> Owned:
        """Every owned number's record keyed by its E.164 form."""
        index: Owned = {}
        for record in self.list_numbers():
            e164 = numbers.try_normalise(str(record.get("phone_number") or ""), self._country)
            if e164 is not None:  # always: list_numbers refuses a number it cannot read
                index.setdefault(e164, record)
        return index

    def search_available(self, criteria: model.Criteria) -> list[model.Available]:
        """The numbers for sale that match ``criteria``, in Exotel's order."""
        kind = "/".join(quote(part, safe="") for part in (criteria.country, criteria.number_type))
        path = f"{self._root.rsplit('/', 1)[0]}/AvailablePhoneNumbers/{kind}"
        answer = self._call("GET", path, criteria.query())
        items = answers.available_items(answer.body)
        if items is None:
            raise self._error("GET", path, answer, "a body that is not a list of numbers")
        found = (answers.available(item, criteria.country) for item in items)
        return [item for item in found if item is not None]

    def get_number(self, sid: str) -> NumberRecord:
        """One owned number's record."""
        path = self._number_path(sid)
        answer = self._call("GET", path)
        record = self._expect_object("GET", path, answer)
        odd = answers.misfit(record, sid=sid)
        if odd:
            raise self._error("GET", path, answer, odd)
        return answers.clean_record(record)

    def update(self, sid: str, params: dict[str, str]) -> NumberRecord:
        """Change only the given fields (VoiceUrl, SMSUrl, FriendlyName); the new record."""
        path = self._number_path(sid)
        try:
            answer = self._call("PUT", path, params)
            record = self._expect_object("PUT", path, answer)
        except ApiError as exc:
            retry.raise_unknown_from(exc)
            raise
        # The change was sent: an answer about another ExoPhone says nothing about it.
        if answers.text(record.get("sid")) not in (None, sid):
            raise self._unknown("PUT", path, answer, answers.misfit(record, sid=sid))
        return answers.clean_record(record)

    def release(self, sid: str) -> None:
        """Give the number back to Exotel; any 2xx (documented: 202 Accepted) is success."""
        try:
            self._call("DELETE", self._number_path(sid))
        except ApiError as exc:
            retry.raise_unknown_from(exc)
            raise

    def purchase(self, phone_number: str, params: dict[str, str]) -> Purchased:
        """Buy ``phone_number`` with optional VoiceUrl, SMSUrl and FriendlyName.

        Sent once, never repeated here: an unknown outcome (timeout, dropped connection,
        5xx, an answer about another number) raises ApiOutcomeUnknown, and a 409 or
        "already owned" answer its ApiStatusError. Whether the account owns the number
        then is for the caller to look up: one listing settles every such purchase of
        an apply (see ``reconciler.apply.executor``).
        """
        wanted = numbers.try_normalise(phone_number, self._country) or phone_number
        try:
            answer = self._call("POST", self._root, dict(params, PhoneNumber=phone_number))
            record = self._expect_object("POST", self._root, answer)
        except ApiError as exc:
            retry.raise_unknown_from(exc)
            raise
        odd = answers.misfit(record, number=wanted, country=self._country)
        if odd:  # bought or not, this answer cannot say: the account is listed
            raise self._unknown("POST", self._root, answer, odd)
        return Purchased(answers.clean_record(record))

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
            repeat = retry.safe_to_repeat(method, error)
            if attempt == self._max_retries or not (repeat or status == 429):
                raise error
            if status == 429:
                self._wait_rate_limited(answer, attempt, error)
            else:
                self._back_off(attempt, error)
                retried_unknown = retried_unknown or retry.outcome_unknown(error)
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, fields: Mapping[str, Any] | None) -> answers.Answer:
        """Send one request through the limiter; the one place requests' errors are converted."""
        self._pacer.acquire(method)
        if self._stopped.is_set():
            raise ApiNotSent(
                "not sent: exoplan is stopping", method=method, path=self._prefix + path
            )
        query, form = (fields, None) if method == "GET" else (None, fields)
        shown = self._prefix + path + (f"?{urlencode(query)}" if query else "")
        url, started = self._origin + self._prefix + path, time.perf_counter()
        try:
            status, headers, content = self._fetch(method, url, query, form)
        except (requests.RequestException, answers.BodyTooLarge) as exc:
            took = time.perf_counter() - started
            log.debug("%s %s -> %s (%.3fs)", method, shown, type(exc).__name__, took)
            raise self._connection_error(method, path, exc) from exc
        took = time.perf_counter() - started
        log.debug("%s %s -> %d (%.3fs)", method, shown, status, took)
        text = content.decode("utf-8", "replace")
        answer = answers.Answer(status, headers, answers.decode(content), text)
        self._pacer.heard(method, answer.status, answer.headers)
        return answer

    def _fetch(
        self, method: str, url: str, query: Mapping[str, Any] | None, form: Mapping[str, Any] | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One whole request, connect to last byte, within the read timeout: a server that
        dribbles its answer cannot hold the run. The request runs on a helper thread that
        is left behind (and ends with the process) when the time is up."""
        done: list[tuple[int, Mapping[str, str], bytes] | BaseException] = []

        def run() -> None:
            try:
                done.append(self._read_answer(method, url, query, form))
            except BaseException as exc:  # handed to the caller below
                done.append(exc)

        worker = threading.Thread(target=run, name="exoplan-request", daemon=True)
        worker.start()
        worker.join(self._timeout[1])
        if not done:
            raise requests.Timeout(f"no whole answer within {self._timeout[1]:g}s (timed out)")
        if isinstance(done[0], BaseException):
            raise done[0]
        return done[0]

    def _read_answer(
        self, method: str, url: str, query: Mapping[str, Any] | None, form: Mapping[str, Any] | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        with self._session.request(
            method,
            url,
            params=query,
            data=form,
            timeout=self._timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            content = answers.read_body(response.iter_content(65536))
            return response.status_code, response.headers, content

    def _back_off(self, attempt: int, reason: ApiError) -> None:
        """Sleep this thread only, before retrying after an unknown outcome."""
        delay = retry.backoff_delay(attempt, *self._backoff)
        log.info("%s; retry %d of %d in %.1fs", reason, attempt + 1, self._max_retries, delay)
        self._sleep(delay)

    def _wait_rate_limited(self, answer: answers.Answer, attempt: int, reason: ApiError) -> None:
        """After a 429, wait as long as Exotel asked, or back off when it did not say."""
        asked = retry.parse_retry_after(answer.headers, time.time())
        if asked is not None and asked > self._max_retry_after:
            wait = f"{asked:.0f}" if asked < 1e9 else f"{asked:.3g}"
            raise ApiStatusError(
                f"{reason.message} (Exotel asked to wait {wait}s, longer than the "
                f"{self._max_retry_after:g}s exoplan waits: try again later)",
                method=reason.method,
                path=reason.path,
                status=reason.status,
                code=reason.code,
            )
        fallback = retry.backoff_delay(attempt, *self._backoff, rng=lambda: 1.0)
        why = f"{reason}; retry {attempt + 1}"
        self._pacer.pause(reason.method, fallback if asked is None else asked, why)

    def _number_path(self, sid: str) -> str:
        return f"{self._root}/{quote(sid, safe='')}"

    def _expect_object(self, method: str, path: str, answer: answers.Answer) -> Mapping[str, Any]:
        if isinstance(answer.body, dict):
            return answer.body
        raise self._error(method, path, answer, "a body that is not a JSON object")

    def _error(
        self, method: str, path: str, answer: answers.Answer, odd: str = ""
    ) -> ApiStatusError:
        """The error for a non-2xx answer, or for a 2xx one whose body is ``odd``."""
        message, code = answers.error_message(answer, odd, account_path=path == self._root)
        path, message = self._prefix + path, self._scrub(message)
        return ApiStatusError(message, method=method, path=path, status=answer.status, code=code)

    def _unknown(
        self, method: str, path: str, answer: answers.Answer, odd: str
    ) -> ApiOutcomeUnknown:
        """A change was sent, and its answer does not fit: whether it happened is unknown."""
        known = self._error(method, path, answer, odd)
        return ApiOutcomeUnknown(
            f"{known.message}; whether it took effect cannot be told from it",
            method=method,
            path=known.path,
            status=answer.status,
        )

    def _connection_error(self, method: str, path: str, exc: Exception) -> ApiConnectionError:
        """The error for requests' ``exc``: ApiNotConnected when no connection was made."""
        what = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
        host, reason = urlsplit(self._origin).netloc, answers.connection_reason(exc)
        if _never_connected(exc):
            what = "could not connect in time" if isinstance(exc, requests.Timeout) else what
            message = self._scrub(f"{what} ({host}): {reason}; nothing was sent")
            return ApiNotConnected(message, method=method, path=self._prefix + path)
        message = self._scrub(f"{what} ({host}): {reason}")
        return ApiConnectionError(message, method=method, path=self._prefix + path)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _never_connected(exc: Exception) -> bool:
    """Whether requests' ``exc`` proves the request never left: the connection was refused,
    the host name did not resolve, or connecting timed out (urllib3 says so in the cause
    it wraps). A read timeout, a reset or a dropped connection after connecting may have
    come after the request was sent: those are not."""
    if not isinstance(exc, requests.ConnectionError):
        return False  # requests.Timeout raised by _fetch is a whole-answer timeout
    cause = exc.args[0] if exc.args else None
    reason = cause.reason if isinstance(cause, MaxRetryError) else cause
    # NameResolutionError and NewConnectionError (refused) are ConnectTimeoutError's kin.
    return isinstance(reason, (ConnectTimeoutError, NewConnectionError))


def _new_session(credentials: Credentials, pool_size: int) -> requests.Session:
    session = requests.Session()
    session.auth = (credentials.api_key, credentials.api_token)
    session.headers.update({"Accept": "application/json", "User-Agent": f"exoplan/{__version__}"})
    adapter = HTTPAdapter(pool_maxsize=pool_size)
    for scheme in ("https://", "http://"):
        session.mount(scheme, adapter)
    return session
