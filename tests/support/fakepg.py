"""A fake PostgreSQL server on 127.0.0.1 that asks every client for a cleartext password
(AuthenticationCleartextPassword) and records what it was sent, then refuses the login.

It proves where exoplan sends a password from the environment (``PGPASSWORD``,
``~/.pgpass``): a server a manifest or a plan file names must receive none.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_SSL_REQUEST, _GSS_REQUEST = 80877103, 80877104
_CLEARTEXT = struct.pack("!cii", b"R", 8, 3)


@dataclass
class FakePg:
    """The listening fake; ``passwords`` holds every password a client sent."""

    port: int
    connections: int = 0
    passwords: list[str] = field(default_factory=list)

    def url(self, name: str = "stolen", user: str = "victim") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/ops?name={name}"


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client closed")
        data += chunk
    return data


def _startup(conn: socket.socket) -> None:
    """Answer 'N' to SSL and GSS encryption requests until the startup message comes."""
    while True:
        (length,) = struct.unpack("!i", _read(conn, 4))
        body = _read(conn, length - 4)
        if struct.unpack("!i", body[:4])[0] not in (_SSL_REQUEST, _GSS_REQUEST):
            return
        conn.sendall(b"N")


def _refusal() -> bytes:
    fields = b"SFATAL\0C28P01\0Mpassword authentication failed (fake server)\0\0"
    return b"E" + struct.pack("!i", len(fields) + 4) + fields


def _serve_one(fake: FakePg, conn: socket.socket) -> None:
    with conn:
        try:
            _startup(conn)
            fake.connections += 1
            conn.sendall(_CLEARTEXT)
            kind = _read(conn, 1)
            (length,) = struct.unpack("!i", _read(conn, 4))
            body = _read(conn, length - 4)
            if kind == b"p":
                fake.passwords.append(body.rstrip(b"\0").decode("utf-8", "replace"))
            conn.sendall(_refusal())
        except (ConnectionError, OSError, struct.error):
            pass


@contextmanager
def fake_postgres() -> Iterator[FakePg]:
    """Run the fake on a free port of 127.0.0.1 for the ``with`` block."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    fake, stop = FakePg(listener.getsockname()[1]), threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            _serve_one(fake, conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        stop.set()
        thread.join(5)
        listener.close()
