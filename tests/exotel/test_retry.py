"""reconciler.exotel.retry: backoff, Retry-After and quota parsing, and what a failure means."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from reconciler.errors import ApiConnectionError, ApiError, ApiStatusError
from reconciler.exotel.retry import (
    backoff_delay,
    may_repeat,
    outcome_unknown,
    parse_retry_after,
    quota_reset_delay,
    says_already_owned,
)

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("attempt", "expected"), [(0, 1.0), (1, 2.0), (2, 4.0), (4, 16.0), (5, 30.0), (10_000, 30.0)]
)
def test_backoff_ceiling_doubles_up_to_the_cap(attempt: int, expected: float) -> None:
    assert backoff_delay(attempt, rng=lambda: 1.0) == expected


def test_backoff_uses_full_jitter() -> None:
    assert backoff_delay(3, rng=lambda: 0.0) == 0.0
    assert backoff_delay(3, base=0.5, cap=100.0, rng=lambda: 0.5) == 2.0
    assert all(0.0 <= backoff_delay(n) <= 30.0 for n in range(20))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"Retry-After": formatdate(NOW + 45, usegmt=True)}, 45.0),
        ({"Retry-After": formatdate(NOW - 45, usegmt=True)}, 0.0),
        ({"X-RateLimit-Reset": str(int(NOW) + 20)}, 20.0),
        ({"x-ratelimit-reset": str(int(NOW) - 5)}, 0.0),
        ({"X-RateLimit-Reset": "12"}, 12.0),
        ({"Retry-After": "7", "X-RateLimit-Reset": str(int(NOW) + 20)}, 7.0),
        ({"Retry-After": "soon", "X-RateLimit-Reset": str(int(NOW) + 20)}, 20.0),
        ({"Retry-After": "-3"}, None),
        ({"Retry-After": "nan"}, None),
        ({"X-RateLimit-Reset": "later"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    result = parse_retry_after(headers, NOW)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 9)}, 9.0),
        ({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": str(int(NOW) + 9)}, None),
        ({"X-RateLimit-Remaining": "0"}, None),
        ({"X-RateLimit-Reset": str(int(NOW) + 9)}, None),
    ],
)
def test_quota_reset_delay(headers: dict[str, str], expected: float | None) -> None:
    assert quota_reset_delay(headers, NOW) == expected


@pytest.mark.parametrize(
    ("error", "unknown", "repeat", "owned"),
    [
        (ApiConnectionError("timed out"), True, True, False),
        (ApiStatusError("boom", status=503), True, True, False),
        (ApiStatusError("not JSON", status=200), True, False, False),
        (ApiStatusError("conflict", status=409), False, False, True),
        (
            ApiStatusError("Number is already assigned to your account", status=400),
            False,
            False,
            True,
        ),
        (ApiStatusError("Number already owned by this account", status=422), False, False, True),
        (ApiStatusError("Invalid PhoneNumber", status=400), False, False, False),
        (ApiStatusError("already owned", status=429), False, False, False),
        (ApiStatusError("Not found", status=404), False, False, False),
    ],
)
def test_failure_classification(error: ApiError, unknown: bool, repeat: bool, owned: bool) -> None:
    assert (outcome_unknown(error), may_repeat(error), says_already_owned(error)) == (
        unknown,
        repeat,
        owned,
    )
