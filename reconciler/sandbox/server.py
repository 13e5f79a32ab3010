"""A local stand-in of Exotel's ExoPhone API (v2_beta), for rehearsals and fault tests.

``Sandbox`` serves ``/v2_beta/Accounts/{account_sid}/IncomingPhoneNumbers[/{sid}]`` and
the call history at ``/v1/Accounts/{account_sid}/Calls`` on a real HTTP server, with
Exotel's codes, error bodies, legacy-host page URIs, rewritten flow URLs, Basic auth and
rate limits (advertised in ``X-RateLimit-*``), for one account or several under one URL
(``accounts``), plus fault hooks for tests. This module owns HTTP and the lifecycle;
``store`` holds what it remembers, ``limits`` its rate windows and faults, ``calls`` the
call log. Standard library only (plus ``reconciler.manifest.numbers``).
"""

from __future__ import annotations

import functools
import json
import logging
import socket
import threading
from collections import Counter
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from reconciler.manifest.numbers import try_normalise
from reconciler.model import DEFAULT_COUNTRY
from reconciler.sandbox import shapes
from reconciler.sandbox.accounts import Tenant, Tenants
from reconciler.sandbox.calls import CallLog, calls_route, read_calls
from reconciler.sandbox.inventory import Inventory, available_route, load_inventory
from reconciler.sandbox.limits import EXOTEL_RATE_LIMIT, Faults, RateLimiter
from reconciler.sandbox.seed import load_seed
from reconciler.sandbox.store import ApiFailure, NumberStore, parse_form, route
from reconciler.sandbox.wire import Reply as _Reply
from reconciler.sandbox.wire import Request as _Request

__all__ = ["ApiFailure", "Sandbox", "load_inventory", "load_seed"]

logger = logging.getLogger("exoplan.sandbox")

_MAX_BODY = 64 * 1024
_POLL_SECONDS = 0.01  # how soon stop() is noticed; select() wakes cost next to nothing


class Sandbox:
    """A faithful local ExoPhone API on a real HTTP server; see the module docstring."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        account_sid: str = "sandbox",
        api_key: str | None = None,
        api_token: str | None = None,
        rate_limit: int = 0,
        latency_ms: int = 0,
        fail_rate: float = 0.0,
        seed: list[dict[str, Any]] | None = None,
        rng_seed: int | None = None,
        default_country: str = DEFAULT_COUNTRY,
        window_seconds: float = 60.0,
        inventory: list[dict[str, Any]] | None = None,
        release_lingers: float = 5.0,
        read_rate_limit: int = 0,
        drop_rate: float = 0.0,
        calls: list[dict[str, Any]] | None = None,
        accounts: Sequence[tuple[str, str, str]] = (),
        one_budget: bool = False,
    ) -> None:
        if latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, not {latency_ms}")
        self._writes = RateLimiter(rate_limit, window_seconds)
        self._reads = self._writes if one_budget else RateLimiter(read_rate_limit, window_seconds)
        self._faults = Faults(fail_rate, rng_seed, drop_rate)
        self.host, self.port, self.account_sid = host, port, account_sid
        self.rate_limit, self.read_rate_limit = rate_limit, read_rate_limit
        self.latency_ms = latency_ms
        self._open_accounts(
            (account_sid, api_key, api_token), accounts, default_country, release_lingers
        )
        self._store.seed(seed or [])
        self._inventory = Inventory(inventory)
        #: The call history (Bulk Call Details) the sandbox serves, and its test hooks.
        self.calls = CallLog(read_calls(calls or [], default_country), account_sid, default_country)
        self._start_records()

    def _open_accounts(
        self,
        primary: tuple[str, str | None, str | None],
        others: Sequence[tuple[str, str, str]],
        default_country: str,
        release_lingers: float,
    ) -> None:
        """The accounts served: ``primary`` (key and token made when None) and ``others``."""

        def store(sid: str) -> NumberStore:  # each account's own, empty at first
            return NumberStore(sid, default_country, release_lingers)

        self._tenants = Tenants.of(primary, others, store)
        first = self._tenants[primary[0]]
        self.api_key, self.api_token, self._store = first.api_key, first.api_token, first.store

    def _start_records(self) -> None:
        """No server yet, and nothing answered."""
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._log_lock = threading.Lock()
        self._statuses, self._pages = Counter[int](), Counter[int]()
        self._log: list[tuple[str, str, int]] = []

    def listen(self) -> None:
        """Bind the address (port 0 picks a free port); OSError when it is taken.
        :meth:`start` serves it (and listens first, if this was not called)."""
        if self._server is None:
            self._server = _Server((self.host, self.port), self)
            self.port = int(self._server.server_address[1])

    def start(self) -> None:
        """Listen and serve in a background daemon thread (port 0 picks a free port)."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")
        self._stopping.clear()
        self.listen()
        assert self._server is not None
        serve = functools.partial(self._server.serve_forever, poll_interval=_POLL_SECONDS)
        self._thread = threading.Thread(target=serve, name="exotel-sandbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; delayed answers are cut short."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        if thread is not None:  # shutdown() waits for a serving loop: only when one runs
            server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running sandbox."""
        if self._server is None and self.port == 0:
            raise RuntimeError("the sandbox has not been started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment variables that point exoplan at this sandbox."""
        return {
            "EXOTEL_API_URL": self.url,
            "EXOTEL_API_KEY": self.api_key,
            "EXOTEL_API_TOKEN": self.api_token,
        }

    def fail_next(self, n: int, status: int = 503) -> None:
        """Answer the next ``n`` requests with ``status`` (a 5xx) without doing the work."""
        if not 500 <= status <= 599:
            raise ValueError(f"status must be a 5xx code, not {status}")
        self._faults.arm("fail", n, status)

    def drop_after_commit_next(self, n: int) -> None:
        """Commit the next ``n`` purchases, then close the connection without answering
        (``drop_rate`` does the same to a share of all purchases, at random)."""
        self._faults.arm("drop", n, 1)

    def delay_next(self, n: int, seconds: float) -> None:
        """Do the work of the next ``n`` requests at once, but answer ``seconds`` later."""
        self._faults.arm("delay", n, max(0.0, seconds))

    def throttle_next(self, n: int, retry_after: int = 1) -> None:
        """Answer the next ``n`` requests with 429 and ``Retry-After: retry_after``."""
        self._faults.arm("throttle", n, max(1, retry_after))

    @property
    def purchases(self) -> Counter[str]:
        """Successful purchases (committed POSTs) per E.164 number, of every account."""
        total: Counter[str] = Counter()
        for tenant in self._tenants:
            total.update(tenant.store.purchases())
        return total

    @property
    def requests_by_status(self) -> Counter[int]:
        """Requests per answered status; 0 counts connections closed without an answer."""
        with self._log_lock:
            return Counter(self._statuses)

    @property
    def pages_served(self) -> Counter[int]:
        """Listing pages answered, per page number: ``[0]`` counts the listings begun."""
        with self._log_lock:
            return Counter(self._pages)

    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        """(method, path without query, status) per request, in the order answered."""
        with self._log_lock:
            return list(self._log)

    def sell(self, number: str) -> None:
        """Another customer buys ``number``: gone from the inventory, refused at purchase."""
        self._inventory.sell(number)

    def owned(self, account_sid: str | None = None) -> list[dict[str, Any]]:
        """Copies of the numbers the account (default: the primary one) owns now, in
        purchase order."""
        return self.tenant(account_sid).store.owned()

    def tenant(self, account_sid: str | None = None) -> Tenant:
        """One account the sandbox serves (default: the primary one); KeyError if none."""
        return self._tenants[self.account_sid if account_sid is None else account_sid]

    @property
    def tenants(self) -> list[Tenant]:
        """Every account the sandbox serves, the primary one first."""
        return list(self._tenants)

    def _handle(self, request: _Request) -> _Reply | None:
        """The answer to one request; None means: close the connection, answer nothing."""
        extra: dict[str, str] = {}
        limiter = self._reads if request.method in ("GET", "HEAD") else self._writes
        try:
            if (account := calls_route(request.path)) is not None:  # the Voice API: no faults
                tenant = self._tenants.authenticate(request.authorization, request.path)
                return _Reply(*self.calls.serve(account, tenant.sid, request.method, request.query))
            self._faults.check(limiter.limit or EXOTEL_RATE_LIMIT)
            tenant = self._tenants.authenticate(request.authorization, request.path)
            available = available_route(request.path)
            if available is not None:
                return self._search(request, tenant, limiter, extra)
            sid = route(request.path, tenant.sid)
            extra.update(limiter.admit(tenant.sid))
            return self._dispatch(request, tenant.store, sid, extra)
        except ApiFailure as failure:
            return _Reply(failure.status, failure.body(), {**extra, **failure.headers})

    def _dispatch(
        self, request: _Request, store: NumberStore, sid: str | None, extra: dict[str, str]
    ) -> _Reply | None:
        allowed = ("GET", "POST") if sid is None else ("GET", "PUT", "DELETE")
        if request.method not in allowed:
            message = f"Method {request.method} is not allowed here"
            raise ApiFailure(405, message, "METHOD_NOT_ALLOWED", {"Allow": ", ".join(allowed)})
        if sid is None and request.method == "GET":
            page = store.listing(request.query)
            with self._log_lock:
                self._pages[page["page"]] += 1
            return _Reply(200, page, extra)
        if sid is None:
            record = self._purchase(store, parse_form(request.content_type, request.body))
            dropped = self._faults.drops()
            return None if dropped else _Reply(200, shapes.purchase_answer(record), extra)
        if request.method == "GET":
            return _Reply(200, shapes.listed(store.get(sid)), extra)
        if request.method == "PUT":
            return _Reply(
                200,
                shapes.update_answer(
                    store.update(sid, parse_form(request.content_type, request.body))
                ),
                extra,
            )
        store.release(sid)
        return _Reply(202, {"Status": 202, "Message": "Accepted"}, extra)

    def _search(
        self,
        request: _Request,
        tenant: Tenant,
        limiter: RateLimiter,
        extra: dict[str, str],
    ) -> _Reply:
        found = available_route(request.path)
        assert found is not None  # only searches come here
        _, country, kind = found  # the account is the tenant's (checked on authenticating)
        if request.method != "GET":
            raise ApiFailure(
                405, f"Method {request.method} is not allowed here", "METHOD_NOT_ALLOWED"
            )
        extra.update(limiter.admit(tenant.sid))
        return _Reply(200, self._inventory.search(country, kind, request.query), extra)

    def _purchase(self, store: NumberStore, form: dict[str, str]) -> dict[str, Any]:
        """Buy from the inventory (a number not in it is still sold, at the market price);
        a number another customer (or another account) bought is refused."""
        e164 = try_normalise(form.get("PhoneNumber", "").strip(), store.default_country)
        if e164 is not None and (self._inventory.is_sold(e164) or self._elsewhere(store, e164)):
            raise ApiFailure(400, f"PhoneNumber {e164} is not available", "NOT_AVAILABLE")
        record = store.purchase(form, self._inventory.listing(e164 or ""))
        self._inventory.take(record["phone_number"])
        return record

    def _elsewhere(self, store: NumberStore, e164: str) -> bool:
        """Whether another of the sandbox's accounts owns ``e164``."""
        others = (tenant.store for tenant in self._tenants if tenant.store is not store)
        return any(record["phone_number"] == e164 for other in others for record in other.owned())

    def _record(self, method: str, path: str, status: int) -> None:
        with self._log_lock:
            self._statuses[status] += 1
            self._log.append((method, path, status))

    def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the sandbox stops."""
        if seconds > 0:
            self._stopping.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request into a ``_Request`` for the sandbox and writes the reply."""

    # HTTP/1.0: one request per connection, so stop() leaves no kept-alive client behind.
    protocol_version = "HTTP/1.0"
    server_version = "ExotelSandbox/1.0"
    timeout = 60

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        sandbox = cast(_Server, self.server).sandbox
        calls = calls_route(urlsplit(self.path).path) is not None  # no faults there
        delay = 0.0 if calls else sandbox._faults.take("delay") or 0.0
        sandbox._pause(sandbox.latency_ms / 1000)
        reply = self._reply(sandbox)
        sandbox._record(self.command, urlsplit(self.path).path, reply.status if reply else 0)
        if reply is None:
            return
        sandbox._pause(delay)
        try:
            self._write(reply)
        except OSError:
            logger.debug("the client went away before the answer", exc_info=True)

    def _reply(self, sandbox: Sandbox) -> _Reply | None:
        try:
            return sandbox._handle(self._request())
        except ApiFailure as failure:
            return _Reply(failure.status, failure.body(), failure.headers)
        except Exception:
            logger.exception("sandbox bug while answering %s", self.command)
            return _Reply(500, ApiFailure(500, "Internal server error", "INTERNAL_ERROR").body())

    def _request(self) -> _Request:
        url = urlsplit(self.path)
        return _Request(
            method=self.command,
            path=url.path,
            query=url.query,
            authorization=self.headers.get("Authorization", ""),
            content_type=self.headers.get("Content-Type", ""),
            body=self._body(),
        )

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length", "0").strip()
        if self.headers.get("Transfer-Encoding") or not length.isdigit() or int(length) > _MAX_BODY:
            raise ApiFailure(400, "A body needs a Content-Length of at most 64 KiB", "BAD_REQUEST")
        return self.rfile.read(int(length))

    def _write(self, reply: _Reply) -> None:
        data = json.dumps(reply.payload).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line holds no credentials (those travel in a header).
        logger.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer (daemon threads) that knows its sandbox."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
