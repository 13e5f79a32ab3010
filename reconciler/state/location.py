"""Where a state lives, as the user wrote it: a file path, or a PostgreSQL URL
``postgresql://[user[:password]@]host[:port]/dbname?name=STATE[&schema=S]``.

Parses URLs without importing psycopg, and owns the one public form of a location
(:func:`public_form`: every spelling of a password removed) that messages, plan files and
the state's ``path`` carry.

A location a manifest (or anything else a pull request can change) chose must never
receive a password from the environment: :meth:`PgLocation.without_environment_credentials`
keeps libpq from reading ``PGPASSWORD``, ``~/.pgpass``, ``PGPASSFILE`` or a service
file's password for it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from reconciler.errors import StateError

SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "exoplan"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_FORM = "postgresql://[user@]host[:port]/dbname?name=STATE[&schema=S]"
#: Connection parameters whose value is a secret: never shown, never saved.
SECRET_KEYS = frozenset({"password", "sslpassword"})
#: ``password=VALUE`` in a libpq keyword string or a query that could not be parsed.
_KEYWORD_SECRET = re.compile(
    r"\b((?:ssl)?password)\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s&]*)", re.IGNORECASE
)
#: ``user:password@`` in a URL that could not be parsed.
_USERINFO_SECRET = re.compile(r"(://[^/?#@:]*):[^/?#@]*@")
_NO_ENVIRONMENT_PASSWORD = (
    "exoplan sends no password from PGPASSWORD or ~/.pgpass to a state the manifest names, "
    "as a pull request could change it: give this URL in EXOPLAN_STATE (a CI secret) or "
    "--state instead"
)
#: A password file that cannot exist (a path below a device), so libpq reads none.
NO_PASSFILE = os.path.join(os.devnull, "none")


def is_url(location: str) -> bool:
    """True for anything with a scheme (``x://``); only PostgreSQL URLs are accepted."""
    return "://" in location


def is_postgres(location: str) -> bool:
    return location.split("://", 1)[0].lower() in SCHEMES and is_url(location)


def has_password(location: str) -> bool:
    """True when a location carries a password in any spelling (forbidden in a manifest)."""
    if is_postgres(location):
        try:
            return bool(parse_pg_url(location).secrets)
        except StateError:
            pass
    return public_form(location) != location


def check_path(location: str) -> str:
    """A location that is not a URL is a file path; one that holds ``password=`` is a
    libpq keyword string given by mistake, refused before any file is named after it."""
    if not is_url(location) and _KEYWORD_SECRET.search(location):
        raise StateError(
            f"{public_form(location)}: libpq keywords are not a state location; write it as {_FORM}"
        )
    return location


def same_location(first: str, second: str) -> bool:
    """True when two locations name one state: URLs by their public form, paths by their
    absolute, normalised form."""
    if is_url(first) or is_url(second):
        return public_form(first) == public_form(second)
    return os.path.abspath(first) == os.path.abspath(second)


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
    options: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    #: False for a location a manifest chose: no password from the environment.
    environment_credentials: bool = True

    @property
    def where(self) -> str:
        """The URL without its password: what every message and file names."""
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        host = self.host or "localhost"
        host = f"[{host}]" if ":" in host else host
        port = f":{self.port}" if self.port else ""
        shown = [(k, v) for k, v in self.options if k.lower() not in SECRET_KEYS]
        query = urlencode([("name", self.name), ("schema", self.schema), *shown])
        return f"postgresql://{user}{host}{port}/{quote(self.dbname, safe='')}?{query}"

    @property
    def secrets(self) -> list[str]:
        """Every password this location holds, to cut from a server's messages."""
        found = [v for k, v in self.options if k.lower() in SECRET_KEYS and v]
        return [self.password, *found] if self.password else found

    def explained(self, message: str) -> str:
        """A server's message with this location's passwords cut, and the fix when it
        asked for a password this location may not take from the environment."""
        for secret in self.secrets:
            message = message.replace(secret, "***")
        if "no password supplied" in message and not self.environment_credentials:
            message += f" ({_NO_ENVIRONMENT_PASSWORD})"
        return message

    def without_environment_credentials(self) -> PgLocation:
        """This location, connecting with no password libpq would find by itself."""
        return replace(self, environment_credentials=False)

    def conninfo(self) -> dict[str, str]:
        """Keyword arguments for the connection. libpq reads PGPASSWORD, ~/.pgpass or a
        service file when none is given, unless the environment's credentials are off:
        then an empty password and a password file that cannot exist are passed."""
        keywords = {"dbname": self.dbname, **dict(self.options)}
        for key, value in (("host", self.host), ("user", self.user), ("password", self.password)):
            if value is not None:
                keywords[key] = value
        if self.port is not None:
            keywords["port"] = str(self.port)
        if not self.environment_credentials:
            keywords.setdefault("password", "")
            keywords["passfile"] = NO_PASSFILE
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
    """``location`` as it may be shown and saved, the one redaction every message, plan
    file and state path goes through: a PostgreSQL URL loses its password (user info,
    ``password=`` in the query); any other text (a URL that could not be parsed, a libpq
    keyword string) has the value of each ``password=`` cut."""
    if is_postgres(location):
        try:
            return parse_pg_url(location).where
        except StateError:
            pass
    cut = _USERINFO_SECRET.sub(r"\1@", location)
    return _KEYWORD_SECRET.sub(lambda found: f"{found.group(1)}=***", cut)
