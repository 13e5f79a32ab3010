"""reconciler.sandbox.accounts: several accounts under one sandbox URL, each with its
own key, token, numbers and rate window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from reconciler.sandbox.accounts import parse_account
from reconciler.sandbox.server import Sandbox
from tests.support.project import number
from tests.support.sandbox import fetch

A, B = ("acme1", "key-a", "token-a"), ("beta2", "key-b", "token-b")


@pytest.fixture
def server() -> Iterator[Sandbox]:
    with Sandbox(
        "127.0.0.1", 0, account_sid=A[0], api_key=A[1], api_token=A[2], accounts=[B]
    ) as sandbox:
        yield sandbox


def numbers_url(sandbox: Sandbox, account: str) -> str:
    return f"{sandbox.url}/v2_beta/Accounts/{account}/IncomingPhoneNumbers"


def buy(sandbox: Sandbox, who: tuple[str, str, str], e164: str) -> requests.Response:
    sid, key, token = who
    return fetch("POST", numbers_url(sandbox, sid), data={"PhoneNumber": e164}, auth=(key, token))


def test_each_account_owns_its_own_numbers(server: Sandbox) -> None:
    assert buy(server, A, number(1)).status_code == 200
    assert buy(server, B, number(2)).status_code == 200
    assert [r["phone_number"] for r in server.owned("acme1")] == [number(1)]
    assert [r["phone_number"] for r in server.owned("beta2")] == [number(2)]
    assert server.purchases == {number(1): 1, number(2): 1}


def test_a_number_another_account_owns_is_not_for_sale(server: Sandbox) -> None:
    assert buy(server, A, number(1)).status_code == 200
    refused = buy(server, B, number(1))
    assert refused.status_code == 400
    assert "is not available" in refused.json()["RestException"]["Message"]


@pytest.mark.parametrize(
    ("auth", "status"), [(A[1:], 404), (B[1:], 200), (("key-a", "token-b"), 401)]
)
def test_credentials_must_be_the_accounts_own(
    server: Sandbox, auth: tuple[str, str], status: int
) -> None:
    assert fetch("GET", numbers_url(server, "beta2"), auth=auth).status_code == status


def test_one_budget_counts_reads_and_writes_in_one_window() -> None:
    with Sandbox("127.0.0.1", 0, account_sid="acme1", rate_limit=2, one_budget=True) as server:
        auth = (server.api_key, server.api_token)
        url = numbers_url(server, "acme1")
        assert fetch("GET", url, auth=auth).status_code == 200
        assert fetch("POST", url, data={"PhoneNumber": number(1)}, auth=auth).status_code == 200
        assert fetch("GET", url, auth=auth).status_code == 429


def test_two_budgets_by_default() -> None:
    with Sandbox("127.0.0.1", 0, account_sid="acme1", rate_limit=1) as server:
        auth = (server.api_key, server.api_token)
        url = numbers_url(server, "acme1")
        assert fetch("POST", url, data={"PhoneNumber": number(1)}, auth=auth).status_code == 200
        assert fetch("GET", url, auth=auth).status_code == 200


def test_an_account_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="given twice"):
        Sandbox("127.0.0.1", 0, account_sid="acme1", accounts=[("acme1", "k", "t")])


def test_sid_key_token() -> None:
    assert parse_account("acme1:k:t") == ("acme1", "k", "t")
    with pytest.raises(ValueError, match="SID:KEY:TOKEN"):
        parse_account("acme1:k:t:extra")
