"""``CallsClient.count_calls`` at the HTTP level: the question asked, the count and last
call read, its own pacing budget, errors with their hints, and answers that do not fit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import responses
from responses import matchers

from reconciler.errors import ApiError, ApiStatusError
from reconciler.exotel.calls import MAX_TOTAL, CallCount, CallsClient, read_count, spellings
from reconciler.exotel.client import Credentials

BASE = "https://api.in.exotel.com"
CALLS = BASE + "/v1/Accounts/acme1/Calls"
START, END = datetime(2026, 11, 6, 12, 0, 0), datetime(2026, 12, 6, 12, 0, 0)


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def client(**options: Any) -> CallsClient:
    options.setdefault("rate_limit", 0)
    return CallsClient("acme1", BASE, Credentials("k", "t"), backoff_base=0.0, **options)


def answer(total: Any, *calls: Any) -> dict[str, Any]:
    return {"Metadata": {"Total": total, "PageSize": 1}, "Calls": list(calls)}


def test_one_request_asks_both_spellings_newest_first_one_per_page(
    http: responses.RequestsMock,
) -> None:
    query = {
        "PhoneNumber": "+918030240002,08030240002",
        "DateCreated": "gte:2026-11-06 12:00:00;lte:2026-12-06 12:00:00",
        "SortBy": "DateCreated:desc",
        "PageSize": "1",
    }
    body = answer(12, {"Sid": "c1", "DateCreated": "2026-12-01 10:48:00"})
    http.get(CALLS, json=body, match=[matchers.query_param_matcher(query)])
    assert client().count_calls("+918030240002", START, END) == (12, "2026-12-01 10:48:00")


def test_no_calls_is_a_count_of_zero(http: responses.RequestsMock) -> None:
    http.get(CALLS, json=answer(0))
    assert client().count_calls("+918030240002", START, END) == CallCount(0, None)


def test_a_403_says_the_key_may_lack_access_to_call_logs(http: responses.RequestsMock) -> None:
    http.get(CALLS, status=403, json={"RestException": {"Status": 403, "Message": "Forbidden"}})
    with pytest.raises(ApiStatusError, match="may lack access to call logs") as caught:
        client().count_calls("+918030240002", START, END)
    assert caught.value.status == 403


@pytest.mark.parametrize("status", [401, 404])
def test_other_refusals_raise_without_retrying(http: responses.RequestsMock, status: int) -> None:
    http.get(CALLS, status=status, json={"RestException": {"Message": "no"}})
    with pytest.raises(ApiStatusError) as caught:
        client().count_calls("+918030240002", START, END)
    assert caught.value.status == status and len(http.calls) == 1


def test_a_5xx_is_retried_twice_then_raised(http: responses.RequestsMock) -> None:
    http.get(CALLS, status=500, json={"message": "down"})
    with pytest.raises(ApiStatusError, match="HTTP 500"):
        client().count_calls("+918030240002", START, END)
    assert len(http.calls) == 3


def test_its_reads_are_paced_on_a_budget_of_their_own() -> None:
    calls = client(rate_limit=200)
    assert calls._pacer.reads.interval == pytest.approx(60 / 200)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, "without Metadata"),
        ([], "without Metadata"),
        ({"Metadata": []}, "without Metadata"),
        (answer(None), "not a count"),
        (answer(True), "not a count"),
        (answer(-1), "not a count"),
        (answer(2.0), "not a count"),
        (answer(MAX_TOTAL + 1), "not a count"),
        (answer("1" * 40), "not a count"),
        ({"Metadata": {"Total": 0}, "Calls": {}}, "not a list"),
        (answer(0, {"DateCreated": "2026-12-01 10:48:00"}), "Total of 0"),
        (answer(3), "without its newest call"),
        (answer(3, "call"), "without its newest call"),
        (answer(3, {"DateCreated": 20261201}), "not a YYYY-MM-DD"),
        (answer(3, {"DateCreated": "2026-12-01T10:48:00"}), "not a YYYY-MM-DD"),
        (answer(3, {"DateCreated": "2026-12-01 10:48:00\x1b[2J"}), "not a YYYY-MM-DD"),
        (answer(3, {"DateCreated": "2026-02-30 10:48:00"}), "not a real date"),
        (answer(3, {"DateCreated": "2025-12-01 10:48:00"}), "outside the dates"),
    ],
)
def test_an_answer_that_does_not_fit_is_refused(body: Any, reason: str) -> None:
    found = read_count(body, START, END)
    assert isinstance(found, str) and reason in found


def test_a_malformed_answer_raises_an_api_error(http: responses.RequestsMock) -> None:
    http.get(CALLS, json=answer("many"))
    with pytest.raises(ApiError, match="Metadata.Total that is not a count"):
        client().count_calls("+918030240002", START, END)


def test_a_count_written_as_text_is_read() -> None:
    assert read_count(answer("0"), START, END) == CallCount(0, None)


def test_spellings_are_e164_and_national_where_they_differ() -> None:
    assert spellings("+918030240002") == ["+918030240002", "08030240002"]
    assert spellings("+9") == ["+9"]
