"""Builds the Exotel API client when a command first needs it (and closes it).

Commands that may not talk to Exotel at all (apply with nothing to do) never import
requests or ask for credentials.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.model import (
    DEFAULT_COUNTRY,
    DEFAULT_KEY_ENV,
    DEFAULT_PARALLELISM,
    DEFAULT_RATE_LIMIT,
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_ENV,
    VOICE_RATE_LIMIT,
)

if TYPE_CHECKING:
    from reconciler.exotel.calls import CallsClient
    from reconciler.exotel.client import ExotelClient
    from reconciler.model import Manifest, Plan


#: Requests leave evenly spaced but arrive with jitter; pacing exactly at the server's
#: limit lets an extra one land in its window now and then, and the 429 that follows
#: stalls every worker for a whole second. A little headroom avoids both. (What Exotel
#: advertises in X-RateLimit-Remaining and -Reset is paced to as it is: it already
#: counts what was sent.)
PACING_HEADROOM = 0.95


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """How a command talks to Exotel: writes and reads per minute (0: no cap; reads
    ``None``: as Exotel advertises), seconds to wait for an answer, and actions in
    flight at once (the connection pool holds at least four)."""

    rate_limit: float = DEFAULT_RATE_LIMIT
    read_rate_limit: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    parallelism: int = DEFAULT_PARALLELISM


class ClientFactory:
    """One lazily created ExotelClient for the account a command works on."""

    def __init__(
        self,
        account_sid: str,
        region: str,
        *,
        default_country: str = DEFAULT_COUNTRY,
        rate_limit: float = DEFAULT_RATE_LIMIT,
        read_rate_limit: float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        pool_size: int = 4,
        env: Mapping[str, str] = os.environ,
        key_env: str = DEFAULT_KEY_ENV,
        token_env: str = DEFAULT_TOKEN_ENV,
    ) -> None:
        self.account_sid = account_sid
        self.region = region
        self.default_country = default_country
        self.rate_limit = rate_limit
        self.read_rate_limit = read_rate_limit
        self.timeout = timeout
        self.pool_size = pool_size
        self.env = env
        self.key_env = key_env
        self.token_env = token_env
        self._client: ExotelClient | None = None
        self._calls: CallsClient | None = None

    @classmethod
    def for_account(
        cls, options: ApiOptions, manifest: Manifest | None, plan: Plan | None = None
    ) -> ClientFactory:
        """The factory for the account of ``manifest`` (or of a saved ``plan``)."""
        if manifest is not None:
            account = manifest.account
            sid, region, country = account.sid, account.region, account.default_country
            key_env, token_env = account.key_env, account.token_env
        else:
            assert plan is not None
            sid, region, country = plan.account_sid, plan.region, DEFAULT_COUNTRY
            key_env, token_env = plan.key_env, plan.token_env
        return cls(
            sid,
            region,
            default_country=country,
            key_env=key_env,
            token_env=token_env,
            rate_limit=options.rate_limit,
            read_rate_limit=options.read_rate_limit,
            timeout=options.timeout,
            pool_size=max(4, options.parallelism),
        )

    def client(self) -> ExotelClient:
        if self._client is None:
            from reconciler.exotel.client import ExotelClient, base_url_for, credentials_from_env

            credentials = credentials_from_env(self.env, self.key_env, self.token_env)
            self._client = ExotelClient(
                self.account_sid,
                base_url_for(self.region, self.env),
                credentials,
                rate_limit=self.rate_limit,
                read_rate_limit=self.read_rate_limit,
                headroom=PACING_HEADROOM,
                timeout=(min(5.0, self.timeout), self.timeout),
                pool_size=self.pool_size,
                default_country=self.default_country,
            )
        return self._client

    def calls_client(self) -> CallsClient:
        """The client of the account's call history: paced on the Voice API's budget,
        apart from the ExoPhone API's (0 for --read-rate-limit 0: no cap)."""
        if self._calls is None:
            from reconciler.exotel.calls import CallsClient
            from reconciler.exotel.client import base_url_for, credentials_from_env

            self._calls = CallsClient(
                self.account_sid,
                base_url_for(self.region, self.env),
                credentials_from_env(self.env),
                rate_limit=VOICE_RATE_LIMIT if self.read_rate_limit != 0 else 0.0,
                headroom=PACING_HEADROOM,
                timeout=(min(5.0, self.timeout), self.timeout),
                default_country=self.default_country,
            )
        return self._calls

    def waiting(self) -> tuple[float, str] | None:
        """What the client waits for now (see ExotelClient.waiting); None before it is built."""
        client = self._client  # read once: another thread may be asking
        return client.waiting() if client is not None else None

    def __enter__(self) -> ClientFactory:
        return self

    def __exit__(self, *exc: Any) -> None:
        for client in (self._client, self._calls):
            if client is not None:
                client.close()
        self._client = self._calls = None
