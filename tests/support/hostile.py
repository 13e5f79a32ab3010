"""A hostile Exotel on 127.0.0.1: answers what a broken or malicious API would.

:class:`Hostile` runs a threaded HTTP server whose every answer comes from ``script``, a
function of the request returning a :class:`Reply`; it records every request it got.
Start and stop it with ``with``. Nothing here knows exoplan's code.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.project import ACCOUNT

KEY, TOKEN = "hostile-key-0123456789", "hostile-token-9876543210"
ROOT = f"/v2_beta/Accounts/{ACCOUNT}/IncomingPhoneNumbers"


@dataclass
class Reply:
    """One answer: status, JSON (or raw bytes) body, headers; ``dribble`` sends the body
    one byte per ``dribble`` seconds."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    dribble: float = 0.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]


Script = Callable[[Request], Reply]


def page(records: list[dict[str, Any]], next_page: bool = False, number: int = 0) -> dict[str, Any]:
    """Listing page ``number`` as Exotel documents it; ``next_page`` links to the next one."""
    nxt = f"{ROOT}?Page={number + 1}&PageSize=50" if next_page else None
    return {
        "page": number,
        "page_size": 50,
        "incoming_phone_numbers": records,
        "next_page_uri": nxt,
    }


def page_asked(request: Request) -> int:
    """The page a listing request asked for (0 when it did not say)."""
    return int(request.query.get("Page", "0"))


class Hostile:
    """The server; ``requests`` holds what it was asked, in order."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Request] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        return {"EXOTEL_API_URL": self.url, "EXOTEL_API_KEY": KEY, "EXOTEL_API_TOKEN": TOKEN}

    def sent(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.method == method]

    def __enter__(self) -> Hostile:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(owner: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode()) if length else {}
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            request = Request(self.command, parts.path, query, {k: v[0] for k, v in form.items()})
            owner.requests.append(request)
            reply = owner.script(request)
            raw = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            try:
                self._write(raw, reply.dribble)
            except OSError:
                pass  # the client gave up: what a dribbling server wants to see

        def _write(self, raw: bytes, dribble: float) -> None:
            if not dribble:
                self.wfile.write(raw)
                return
            for byte in raw:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(dribble)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler
