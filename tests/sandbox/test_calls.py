"""The sandbox's Calls endpoint over real HTTP: Exotel's filters, the one-month range
rule, newest-first order, Before/After cursors, and the ``--calls`` file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from reconciler.sandbox.calls import load_calls
from tests.support.project import ACCOUNT
from tests.support.sandbox import fetch, new_sandbox

A, B = "+918030240001", "+918030240002"
RECORDS = [
    {"phone_number": A, "date_created": "2026-11-01 10:00:00", "status": "completed"},
    {"phone_number": "08030240001", "date_created": "2026-11-03 10:00:00", "status": "busy"},
    {"phone_number": A, "date_created": "2026-11-05 10:00:00", "direction": "outbound-api"},
    {"phone_number": B, "date_created": "2026-11-04 10:00:00", "status": "no-answer"},
    {"phone_number": A, "date_created": "2026-09-01 10:00:00", "status": "completed"},
]
NOVEMBER = "gte:2026-10-20 00:00:00;lte:2026-11-19 23:59:59"


def ask(sandbox: Any, **query: Any) -> tuple[int, Any]:
    response = fetch(
        "GET",
        f"{sandbox.url}/v1/Accounts/{ACCOUNT}/Calls.json",
        params=query,
        auth=(sandbox.api_key, sandbox.api_token),
    )
    return response.status_code, response.json()


def dates(body: dict[str, Any]) -> list[str]:
    return [call["DateCreated"] for call in body["Calls"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {},
            [
                "2026-11-05 10:00:00",
                "2026-11-04 10:00:00",
                "2026-11-03 10:00:00",
                "2026-11-01 10:00:00",
            ],
        ),
        (
            {"PhoneNumber": "08030240001"},
            ["2026-11-05 10:00:00", "2026-11-03 10:00:00", "2026-11-01 10:00:00"],
        ),
        (
            {"PhoneNumber": f"{B},{A}", "Status": "completed"},
            ["2026-11-05 10:00:00", "2026-11-01 10:00:00"],
        ),
        ({"Direction": "outbound-api"}, ["2026-11-05 10:00:00"]),
        ({"PhoneNumber": B, "SortBy": "DateCreated:asc"}, ["2026-11-04 10:00:00"]),
        ({"SortBy": "DateCreated:asc", "Status": "busy"}, ["2026-11-03 10:00:00"]),
    ],
)
def test_filters_and_order(query: dict[str, str], expected: list[str]) -> None:
    with new_sandbox(calls=RECORDS) as sandbox:
        status, body = ask(sandbox, DateCreated=NOVEMBER, **query)
    assert status == 200
    assert dates(body) == expected and body["Metadata"]["Total"] == len(expected)


def test_page_size_one_gives_the_count_and_the_newest_call() -> None:
    with new_sandbox(calls=RECORDS) as sandbox:
        _, body = ask(sandbox, PhoneNumber=A, DateCreated=NOVEMBER, PageSize=1)
    assert body["Metadata"]["Total"] == 3 and dates(body) == ["2026-11-05 10:00:00"]
    assert body["Calls"][0]["PhoneNumberSid"] == "08030240001"


@pytest.mark.parametrize(
    "query",
    [
        {"DateCreated": "gte:2026-10-01 00:00:00;lte:2026-11-19 00:00:00"},  # beyond a month
        {"DateCreated": "gte:2026-11-19 00:00:00;lte:2026-11-01 00:00:00"},  # backwards
        {"DateCreated": "2026-11-01"},
        {"PageSize": "101"},
        {"PageSize": "0"},
        {"SortBy": "Price:asc"},
        {"PhoneNumber": ",".join([A] * 6)},
        {"After": "no-such-cursor"},
    ],
)
@pytest.mark.parametrize("records", [RECORDS, []], ids=["calls", "no calls"])
def test_a_bad_question_is_a_400(query: dict[str, str], records: list[dict[str, Any]]) -> None:
    with new_sandbox(calls=records) as sandbox:
        status, body = ask(sandbox, **query)
    assert status == 400 and body["RestException"]["Message"]


def test_without_date_created_the_last_31_days_are_searched() -> None:
    with new_sandbox(calls=RECORDS) as sandbox:
        status, body = ask(sandbox)
    assert status == 200 and body["Metadata"]["Total"] == 0  # all are older than a month


def test_cursors_page_forward_and_back() -> None:
    with new_sandbox(calls=RECORDS) as sandbox:
        _, first = ask(sandbox, DateCreated=NOVEMBER, PageSize=2)
        assert first["Metadata"]["PrevPageUri"] is None
        after = parse_qs(urlsplit(first["Metadata"]["NextPageUri"]).query)["After"][0]
        _, second = ask(sandbox, DateCreated=NOVEMBER, PageSize=2, After=after)
        assert second["Metadata"]["NextPageUri"] is None
        before = parse_qs(urlsplit(second["Metadata"]["PrevPageUri"]).query)["Before"][0]
        _, back = ask(sandbox, DateCreated=NOVEMBER, PageSize=2, Before=before)
    assert dates(first) == ["2026-11-05 10:00:00", "2026-11-04 10:00:00"]
    assert dates(second) == ["2026-11-03 10:00:00", "2026-11-01 10:00:00"]
    assert back == first


def test_another_account_and_other_methods_are_refused() -> None:
    with new_sandbox(calls=RECORDS) as sandbox:
        auth = (sandbox.api_key, sandbox.api_token)
        other = fetch("GET", f"{sandbox.url}/v1/Accounts/other/Calls", auth=auth)
        post = fetch("POST", f"{sandbox.url}/v1/Accounts/{ACCOUNT}/Calls", auth=auth)
        anonymous = fetch("GET", f"{sandbox.url}/v1/Accounts/{ACCOUNT}/Calls")
    assert (other.status_code, post.status_code, anonymous.status_code) == (404, 405, 401)


def test_scripted_answers_come_first_then_the_history() -> None:
    with new_sandbox(calls=RECORDS) as sandbox:
        sandbox.calls.answer_next(1, 403, {"RestException": {"Message": "Forbidden"}})
        assert ask(sandbox, DateCreated=NOVEMBER)[0] == 403
        assert ask(sandbox, DateCreated=NOVEMBER)[0] == 200
        assert len(sandbox.calls.asked) == 2


def test_the_calls_file_is_loaded_and_bad_records_are_named(tmp_path: Path) -> None:
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(RECORDS), encoding="utf-8")
    assert load_calls(path) == RECORDS
    bad = [{"phone_number": A, "date_created": "yesterday"}]
    with pytest.raises(ValueError, match="call record 0"):
        new_sandbox(calls=bad)
    path.write_text(json.dumps({"calls": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="list of call records"):
        load_calls(path)
