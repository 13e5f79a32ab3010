"""The accounts a sandbox serves under its one URL, each with its own key, token and
numbers, and which of them a request's credentials and path name.

A request's Basic credentials must be those of some account (else 401, as Exotel
answers a wrong key or token); a path naming another account than the credentials'
is answered 404, as Exotel answers a wrong sid. Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from reconciler.sandbox.store import ApiFailure, NumberStore

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Exotel"'}


@dataclass(frozen=True)
class Tenant:
    """One account of the sandbox: its sid, API key and token, and the numbers it owns."""

    sid: str
    api_key: str
    api_token: str
    store: NumberStore

    def env(
        self, key_env: str = "EXOTEL_API_KEY", token_env: str = "EXOTEL_API_TOKEN"
    ) -> dict[str, str]:
        """The variables holding this account's credentials, under the names given."""
        return {key_env: self.api_key, token_env: self.api_token}


def parse_account(text: str) -> tuple[str, str, str]:
    """``SID:KEY:TOKEN`` (``exoplan sandbox --account``) -> (sid, key, token); ValueError
    when a part is missing (the key and token are never repeated in the message)."""
    sid, _, rest = text.partition(":")
    key, _, token = rest.partition(":")
    if not (sid.strip() and key and token) or ":" in token:
        raise ValueError(
            f"--account expects SID:KEY:TOKEN (three parts, none empty), for account "
            f"'{sid.strip()[:40]}'"
        )
    return sid.strip(), key, token


class Tenants:
    """The sandbox's accounts by sid; the first one given is its primary account."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Tenant] = {}

    @classmethod
    def of(
        cls,
        primary: tuple[str, str | None, str | None],
        more: Iterable[tuple[str, str, str]],
        store: Callable[[str], NumberStore],
    ) -> Tenants:
        """The primary account (its key and token made up when not given), then ``more``,
        each with a ``store`` of its own."""
        tenants = cls()
        for sid, key, token in (primary, *more):
            tenants.add(sid, store(sid), key, token)
        return tenants

    def add(
        self, sid: str, store: NumberStore, api_key: str | None, api_token: str | None
    ) -> Tenant:
        if sid in self._by_sid:
            raise ValueError(f"the account '{sid[:40]}' is given twice")
        key, token = api_key or secrets.token_hex(16), api_token or secrets.token_hex(16)
        tenant = Tenant(sid, key, token, store)
        self._by_sid[sid] = tenant
        return tenant

    def __getitem__(self, sid: str) -> Tenant:
        return self._by_sid[sid]

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self._by_sid.values())

    def authenticate(self, authorization: str, path: str) -> Tenant:
        """The account whose credentials ``authorization`` carries, if ``path`` is one
        of its own; 401 for credentials of no account, 404 for another account's path."""
        if not authorization:
            message = "Authentication required: HTTP Basic with your API key and token"
            raise ApiFailure(401, message, "UNAUTHORIZED", _CHALLENGE)
        scheme, _, encoded = authorization.partition(" ")
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            given = b""
        found = [
            tenant
            for tenant in self._by_sid.values()
            if hmac.compare_digest(given, f"{tenant.api_key}:{tenant.api_token}".encode())
        ]
        if scheme.lower() != "basic" or not found:
            raise ApiFailure(401, "Invalid API key or token", "UNAUTHORIZED", _CHALLENGE)
        named = _account_of(path)
        if named is not None and named not in {tenant.sid for tenant in found}:
            raise ApiFailure(404, "Account not found", "NOT_FOUND")
        return next((t for t in found if t.sid == named), found[0])


def _account_of(path: str) -> str | None:
    """The sid in ``/v2_beta/Accounts/{sid}/...``; None for other paths."""
    parts = path.split("/")
    if len(parts) >= 4 and parts[:3] == ["", "v2_beta", "Accounts"]:
        return unquote(parts[3])
    return None
