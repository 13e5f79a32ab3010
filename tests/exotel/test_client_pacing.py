"""The client's budgets over HTTP (``responses``): reads and writes on one budget until
Exotel advertises two, reads paced to what Exotel advertises, writes capped by
--rate-limit, 429s and spent quotas holding back their budget, and headers that cannot
be read leaving the configured pace alone."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import responses

from reconciler.exotel.client import Credentials, ExotelClient
from tests.exotel.test_client import BASE, KEY, OWNED, ROOT, TOKEN, Http, page
from tests.support.clock import FakeTime


@pytest.fixture
def http() -> Iterator[Http]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Http(mock)


def reads(http: Http, client: ExotelClient, count: int) -> list[float]:
    """Send ``count`` GETs; the sleeps the client took."""
    for _ in range(count):
        client.get_number("PN1")
    return http.sleeps


def advertising(limit: str, remaining: str, reset: str) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": limit,
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": reset,
    }


def test_reads_pace_to_the_read_limit_exotel_advertises(http: Http) -> None:
    reset = str(int(time.time()) + 60)
    http.mock.get(f"{ROOT}/PN1", json=OWNED, headers=advertising("300", "299", reset))
    client = http.client(read_rate_limit=None)  # the default: 50/min until told
    sleeps = reads(http, client, 3)
    assert len(sleeps) == 2 and all(0.19 < s < 0.21 for s in sleeps)


def test_reads_before_any_advertisement_go_at_the_default(http: Http) -> None:
    http.mock.get(f"{ROOT}/PN1", json=OWNED)
    assert reads(http, http.client(read_rate_limit=None), 3) == pytest.approx([1.2, 1.2])


def test_an_explicit_read_rate_limit_caps_what_exotel_advertises(http: Http) -> None:
    reset = str(int(time.time()) + 60)
    http.mock.get(f"{ROOT}/PN1", json=OWNED, headers=advertising("300", "299", reset))
    assert reads(http, http.client(read_rate_limit=20), 3) == pytest.approx([3.0, 3.0])


def test_a_read_limit_slower_than_the_cap_is_honoured(http: Http) -> None:
    http.mock.get(f"{ROOT}/PN1", json=OWNED, headers={"X-RateLimit-Limit": "10"})
    assert sum(reads(http, http.client(read_rate_limit=600), 3)) == pytest.approx(12.0)


@pytest.mark.parametrize(
    "garbage",
    [
        {"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "-3", "X-RateLimit-Reset": "x"},
        {"X-RateLimit-Limit": "0", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "nan"},
        {"X-RateLimit-Limit": "1e999", "X-RateLimit-Remaining": "99999999999999999999"},
        {"X-RateLimit-Limit": "50, 300", "X-RateLimit-Reset": "1e400"},
    ],
)
def test_headers_that_cannot_be_read_keep_the_configured_pace(
    http: Http, garbage: dict[str, str]
) -> None:
    http.mock.get(f"{ROOT}/PN1", json=OWNED, headers=garbage)
    assert reads(http, http.client(read_rate_limit=None), 3) == pytest.approx([1.2, 1.2])


def test_a_listing_and_writes_share_the_accounts_budget(http: Http) -> None:
    http.mock.get(ROOT, json=page([OWNED], next_uri="next"), headers={"X-RateLimit-Limit": "50"})
    http.mock.get(ROOT, json=page([{**OWNED, "sid": "PN2"}]))
    http.mock.put(f"{ROOT}/PN1", json=OWNED, headers={"X-RateLimit-Limit": "50"})
    client = http.client(rate_limit=60, read_rate_limit=None)
    assert len(client.list_numbers()) == 2
    client.update("PN1", {"FriendlyName": "x"})
    assert http.sleeps == pytest.approx([1.2, 1.2])  # three requests on one 50/min budget


def test_a_listing_is_paced_on_the_reads_budget_once_exotel_advertises_two(http: Http) -> None:
    http.mock.put(f"{ROOT}/PN1", json=OWNED, headers={"X-RateLimit-Limit": "50"})
    http.mock.get(f"{ROOT}/PN1", json=OWNED, headers={"X-RateLimit-Limit": "300"})
    http.mock.get(ROOT, json=page([OWNED], next_uri="next"), headers={"X-RateLimit-Limit": "300"})
    http.mock.get(ROOT, json=page([{**OWNED, "sid": "PN2"}]))
    client = http.client(rate_limit=1, read_rate_limit=None)
    client.update("PN1", {"FriendlyName": "x"})
    client.get_number("PN1")  # still on the shared budget, advertised at 50/min; then two
    assert len(client.list_numbers()) == 2
    # never the 60 s between writes; then reads on their own at 300/min
    assert http.sleeps == [pytest.approx(1.2), pytest.approx(0.2)]


def test_a_429_on_a_read_holds_back_reads_but_not_writes_on_two_budgets(http: Http) -> None:
    http.mock.put(f"{ROOT}/PN1", json=OWNED, headers={"X-RateLimit-Limit": "50"})
    http.mock.get(ROOT, status=429, headers={"Retry-After": "30", "X-RateLimit-Limit": "300"})
    http.mock.get(ROOT, json=page([OWNED]))
    fake = FakeTime(1000.0)
    seen: list[tuple[float, str] | None] = []

    def sleep(seconds: float) -> None:
        if seconds == 30.0:  # while the reads wait out the 429, a write goes at once
            seen.append(client.waiting())
            client.update("PN1", {"FriendlyName": "x"})
        fake.sleep(seconds)

    credentials = Credentials(KEY, TOKEN)
    client = ExotelClient(
        "acme1", BASE, credentials, rate_limit=0, read_rate_limit=0, sleep=sleep, clock=fake.clock
    )
    client.update("PN1", {"FriendlyName": "x"})
    assert client.list_numbers() == [OWNED]
    assert fake.sleeps[-1] == 30.0
    assert seen == [(30.0, "Exotel's rate limit (HTTP 429/quota)")]
    assert [call.request.method for call in http.mock.calls] == ["PUT", "GET", "PUT", "GET"]
