"""Which store a state location names: a file path, or a ``postgresql://`` URL whose
store (and psycopg) is imported only when such a URL is used."""

from __future__ import annotations

from reconciler.errors import StateError
from reconciler.state.location import is_postgres, is_url, parse_pg_url
from reconciler.state.store import INSTALL_HINT, FileStore, Store


def open_store(location: str) -> Store:
    """The store for a path or a ``postgresql://`` URL; psycopg is imported only here."""
    if not is_url(location):
        return FileStore(location)
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
    return PostgresStore(where)
