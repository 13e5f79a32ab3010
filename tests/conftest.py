"""Fixtures shared by every test folder; the helpers behind them are in ``tests.support``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import responses

from tests.support.paging import HOST, KEY, TOKEN
from tests.support.postgres import PgServer, require_server, start_server, stop_server
from tests.support.project import release_held_locks
from tests.support.run import Result, Runner, exoplan


@pytest.fixture(autouse=True)
def _release_held_locks() -> Iterator[None]:
    """Locks a test took with ``hold_lock`` are let go when it ends."""
    yield
    release_held_locks()


@pytest.fixture
def run_exoplan(tmp_path: Path) -> Runner:
    """``run_exoplan(*args, cwd=tmp_path, env=None)`` runs ``python -m reconciler``."""

    def run(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
        return exoplan(None, cwd or tmp_path, *args, env=env)

    return run


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    """Exotel at ``paging.HOST`` as ``responses`` serves it (see ``paging.serve``); every
    registered answer must be asked for."""
    monkeypatch.setenv("EXOTEL_API_URL", HOST)
    monkeypatch.setenv("EXOTEL_API_KEY", KEY)
    monkeypatch.setenv("EXOTEL_API_TOKEN", TOKEN)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(scope="session")
def pg_session() -> Iterator[PgServer]:
    """One real PostgreSQL server for the whole session (see ``tests.support.postgres``)."""
    require_server()
    server = start_server()
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def pg(pg_session: PgServer) -> PgServer:
    """The session's PostgreSQL server; skipped outside CI when none can run."""
    return pg_session
