"""Where exoplan finds Exotel: the region's host or ``EXOTEL_API_URL``, and the API key
and token from the environment, each checked before any request so that a value HTTP
cannot carry is an error naming its variable (never showing a secret).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconciler.errors import UsageError

REGION_HOSTS: dict[str, str] = {
    "singapore": "https://api.exotel.com",
    "mumbai": "https://api.in.exotel.com",
}
_KEY, _TOKEN, _URL = "EXOTEL_API_KEY", "EXOTEL_API_TOKEN", "EXOTEL_API_URL"


@dataclass(frozen=True, repr=False)
class Credentials:
    """An Exotel API key and token; their repr never shows either."""

    api_key: str
    api_token: str

    def __repr__(self) -> str:
        return "Credentials(api_key='***', api_token='***')"


def credentials_from_env(
    env: Mapping[str, str] = os.environ, key_env: str = _KEY, token_env: str = _TOKEN
) -> Credentials:
    """Read the key and token from the variables ``key_env`` and ``token_env`` (a
    manifest's ``account.credentials``); UsageError names what is missing."""
    values = {name: env.get(name, "").strip() for name in (key_env, token_env)}
    missing = [name for name in (key_env, token_env) if not values[name]]
    if missing:
        names, verb = " and ".join(missing), "is" if len(missing) == 1 else "are"
        hint = "export the API key and token from Exotel's dashboard (Settings > API Settings)"
        raise UsageError(f"{names} {verb} not set; {hint}")
    for name, value in values.items():
        _check_sendable(name, value)
    return Credentials(values[key_env], values[token_env])


def _check_sendable(name: str, value: str) -> None:
    """HTTP Basic auth carries Latin-1 without control characters; say which variable
    holds something else (never the value: it is a secret)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise UsageError(
            f"{name} holds characters HTTP Basic auth cannot send (not Latin-1): copy it "
            "again from Exotel's dashboard (Settings > API Settings)"
        ) from None
    if not value.isprintable():
        raise UsageError(
            f"{name} holds control characters: copy it again from Exotel's dashboard "
            "(Settings > API Settings)"
        )


def base_url_for(region: str, env: Mapping[str, str] = os.environ) -> str:
    """The API's base URL: ``EXOTEL_API_URL`` when set, else the region's host."""
    override = env.get(_URL, "").strip()
    if override:
        return override.rstrip("/")
    if region.lower() not in REGION_HOSTS:
        known = ", ".join(sorted(REGION_HOSTS))
        raise UsageError(f"unknown Exotel region '{region}'; use one of: {known}")
    return REGION_HOSTS[region.lower()]


def split_base(base_url: str) -> tuple[str, str]:
    """(scheme://host[:port], path prefix); userinfo is dropped: credentials come from env."""
    hint = f"set {_URL} to an http(s) URL such as http://127.0.0.1:8080, or unset it"
    if not base_url.isprintable() or len(base_url) > 2000 or any(c.isspace() for c in base_url):
        raise UsageError(f"{_URL} is not a URL (it holds spaces or control characters); {hint}")
    try:
        parts = urlsplit(base_url.strip())
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise UsageError(f"{_URL} is not a valid URL ({exc}); {hint}") from None
    netloc = parts.netloc.rpartition("@")[2]
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        shown = f"{parts.scheme}://{netloc}{parts.path}"[:200]
        raise UsageError(f"{_URL}: '{shown}' is not an http(s) URL of a host; {hint}")
    return f"{parts.scheme}://{netloc}", parts.path.rstrip("/")


def secrets_of(credentials: Credentials) -> tuple[str, ...]:
    pair = f"{credentials.api_key}:{credentials.api_token}".encode()
    candidates = (base64.b64encode(pair).decode(), credentials.api_key, credentials.api_token)
    # Very short values would blank out ordinary words; real keys and tokens are long.
    return tuple(secret for secret in candidates if len(secret) >= 4)
