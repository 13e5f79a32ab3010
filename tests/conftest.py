"""Fixtures shared by every test folder; the helpers behind them are in ``tests.support``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import responses

from tests.support.inprocess import exoplan as in_process
from tests.support.paging import HOST, KEY, TOKEN
from tests.support.postgres import PgServer, require_server, start_server, stop_server
from tests.support.project import release_held_locks
from tests.support.run import Result, Runner

E2E = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is marked ``e2e`` (the fast lane leaves it out)."""
    for item in items:
        if E2E in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _release_held_locks() -> Iterator[None]:
    """Locks a test took with ``hold_lock`` are let go when it ends."""
    yield
    release_held_locks()


@pytest.fixture
def run_exoplan(tmp_path: Path) -> Runner:
    """``run_exoplan(*args, cwd=tmp_path, env=None)`` runs exoplan's ``main(argv)`` in this
    process (``tests.support.inprocess``): for tests of exit codes and output."""

    def run(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
        return in_process(None, cwd or tmp_path, *args, env=env)

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
