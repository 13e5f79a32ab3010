"""Where a state lives, as the user wrote it: a file path, or a PostgreSQL URL
``postgresql://[user[:password]@]host[:port]/dbname?name=STATE[&schema=S]``.

Parses URLs without importing psycopg, and owns the one public form of a URL (the
password removed) that messages, plan files and the state's ``path`` carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from reconciler.errors import StateError

SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "exoplan"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_FORM = "postgresql://[user@]host[:port]/dbname?name=STATE[&schema=S]"


def is_url(location: str) -> bool:
    """True for anything with a scheme (``x://``); only PostgreSQL URLs are accepted."""
    return "://" in location


def is_postgres(location: str) -> bool:
    return location.split("://", 1)[0].lower() in SCHEMES and is_url(location)


def has_password(url: str) -> bool:
    """True when a URL carries a password (forbidden in a manifest)."""
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return False


@dataclass(frozen=True)
class PgLocation:
    """A parsed PostgreSQL URL; ``password`` is None unless the URL held one."""

    host: str | None
    port: int | None
    dbname: str
    user: str | None
    password: str | None = field(repr=False)
    name: str
    schema: str = DEFAULT_SCHEMA
    options: tuple[tuple[str, str], ...] = ()

    @property
    def where(self) -> str:
        """The URL without its password: what every message and file names."""
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        host = self.host or "localhost"
        host = f"[{host}]" if ":" in host else host
        port = f":{self.port}" if self.port else ""
        query = urlencode([("name", self.name), ("schema", self.schema), *self.options])
        return f"postgresql://{user}{host}{port}/{quote(self.dbname, safe='')}?{query}"

    def conninfo(self) -> dict[str, str]:
        """Keyword arguments for the connection (libpq reads PGPASSWORD or ~/.pgpass when
        the URL has no password)."""
        keywords = {"dbname": self.dbname, **dict(self.options)}
        for key, value in (("host", self.host), ("user", self.user), ("password", self.password)):
            if value is not None:
                keywords[key] = value
        if self.port is not None:
            keywords["port"] = str(self.port)
        return keywords


def parse_pg_url(url: str) -> PgLocation:
    """Parse a PostgreSQL state URL; StateError (never echoing a password) if malformed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise StateError(f"the state URL is not valid; expected {_FORM}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise StateError(
            f"state URLs of scheme '{parts.scheme}' are not supported: use a file path or {_FORM}"
        )
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise StateError(f"the state URL names no database; expected {_FORM}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    wanted = dict(query)
    name = wanted.get("name", "")
    if not name:
        raise StateError(f"the state URL needs ?name=STATE (which state to use); expected {_FORM}")
    schema = wanted.get("schema") or DEFAULT_SCHEMA
    if not _IDENTIFIER.fullmatch(schema):
        raise StateError(f"schema={schema!r} in the state URL is not a plain SQL identifier")
    return PgLocation(
        host=unquote(parts.hostname) if parts.hostname else None,
        port=port,
        dbname=dbname,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        name=name,
        schema=schema,
        options=tuple((k, v) for k, v in query if k not in ("name", "schema")),
    )


def public_form(location: str) -> str:
    """``location`` as it may be shown and saved: a URL loses its password."""
    if is_postgres(location):
        return parse_pg_url(location).where
    return location
