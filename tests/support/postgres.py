"""A real PostgreSQL server for the tests: ``initdb`` into a temporary folder and
``pg_ctl`` on 127.0.0.1 with a free port, started once per test session.

initdb refuses to run as root, so as root (CI) the server runs as the ``postgres`` user.
Password authentication (scram) on TCP, so tests can prove a password never leaks.
Without the server binaries the PostgreSQL tests are skipped, except in CI (``CI=true``),
where that is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

ADMIN, ADMIN_PASSWORD = "exoplan_admin", "admin-pw-7Qx"
#: The role the tests' exoplan runs as, and its password (which must never leak).
USER, PASSWORD = "exoplan_app", "Pw-s3cret-4a9f1e"
DATABASE = "exoplan"
_SERVER_USER = "postgres"


@dataclass(frozen=True)
class PgServer:
    """A running server; :meth:`url` names one state in the test database."""

    host: str
    port: int
    folder: Path

    def url(
        self,
        name: str,
        *,
        password: bool = True,
        schema: str | None = None,
        user: str = USER,
        secret: str = PASSWORD,
    ) -> str:
        auth = f"{user}:{quote(secret, safe='')}" if password else user
        extra = f"&schema={schema}" if schema else ""
        return f"postgresql://{auth}@{self.host}:{self.port}/{DATABASE}?name={name}{extra}"

    def conninfo(self, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> str:
        return (
            f"host={self.host} port={self.port} dbname={DATABASE} user={user} "
            f"password={password} connect_timeout=10"
        )


def unique_name(prefix: str = "state") -> str:
    """A state name no other test uses (tests share one database)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def binary(name: str) -> str | None:
    """A server program from PATH, or from Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", _SERVER_USER, "--", *args]


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_server_user(args), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def missing_reason() -> str | None:
    """Why no server can be started here, or None."""
    if binary("initdb") is None or binary("pg_ctl") is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start PostgreSQL as another user"
    return None


def require_server() -> None:
    """Skip (outside CI) or fail (CI) when no server can be started."""
    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
    pytest.skip(reason)


def start_server(fsync: bool = False) -> PgServer:
    """initdb + pg_ctl start; the caller stops it with :func:`stop_server`. The tests run
    without fsync (speed); the benchmark turns it on, as a real server has it."""
    folder = Path(tempfile.mkdtemp(prefix="exoplan-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, _SERVER_USER)
    data, pwfile = folder / "data", folder / "pwfile"
    pwfile.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
    if os.geteuid() == 0:
        shutil.chown(pwfile, _SERVER_USER)
    initdb, pg_ctl = binary("initdb"), binary("pg_ctl")
    assert initdb and pg_ctl
    _run(
        [
            initdb,
            "-D",
            str(data),
            "-U",
            ADMIN,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]
    )
    port = _free_port()
    durable = "on" if fsync else "off"
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync={durable}"
    _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"])
    server = PgServer("127.0.0.1", port, folder)
    _create_database(server)
    return server


def _create_database(server: PgServer) -> None:
    import psycopg

    with psycopg.connect(
        server.conninfo().replace(f"dbname={DATABASE}", "dbname=postgres"), autocommit=True
    ) as admin:
        admin.execute(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        admin.execute(f"CREATE DATABASE {DATABASE} OWNER {USER}")


def stop_server(server: PgServer) -> None:
    pg_ctl = binary("pg_ctl")
    if pg_ctl is not None:
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(server.folder / "data"), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
    shutil.rmtree(server.folder, ignore_errors=True)
