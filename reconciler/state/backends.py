"""Which store a state location names: a file path, or a ``postgresql://`` URL whose
store (and psycopg) is imported only when such a URL is used."""

from __future__ import annotations

from reconciler.errors import StateError
from reconciler.state.location import check_path, is_postgres, is_url, parse_pg_url
from reconciler.state.store import INSTALL_HINT, FileStore, Store


def open_store(location: str, *, environment_credentials: bool = True) -> Store:
    """The store for a path or a ``postgresql://`` URL; psycopg is imported only here.

    Without ``environment_credentials`` (a location a manifest chose) libpq is given no
    password of the environment (PGPASSWORD, ~/.pgpass) for the URL's server."""
    if not is_url(location):
        return FileStore(check_path(location))
    where = parse_pg_url(location)
    if not is_postgres(location):  # parse_pg_url refused other schemes already
        raise StateError(f"unsupported state location {where.where}")
    try:
        from reconciler.state.postgres import PostgresStore
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "psycopg":
            raise
        raise StateError(
            f"{where.where}: a PostgreSQL state needs psycopg 3, which is not installed: "
            f"run {INSTALL_HINT}"
        ) from None
    if not environment_credentials:
        where = where.without_environment_credentials()
    return PostgresStore(where)
