"""``ExotelClient.search_available`` at the HTTP level: the path, the filters as query
parameters, bare-array answers, empty answers and errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from responses import matchers

from reconciler.errors import ApiStatusError
from reconciler.exotel.client import Credentials, ExotelClient
from reconciler.model import Available, Criteria

BASE = "https://api.in.exotel.com"
SEARCH = BASE + "/v2_beta/Accounts/acme1/AvailablePhoneNumbers/IN/Landline"
RECORD = {
    "friendly_name": "08047100001",
    "phone_number": "+918047100001",
    "capabilities": {"sms": False, "voice": True},
    "country": "IN",
    "region": "KA",
    "number_type": "Landline",
    "rental_price": "499.000000",
}


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def client() -> ExotelClient:
    return ExotelClient(
        "acme1", BASE, Credentials("k", "t"), rate_limit=0, read_rate_limit=0, max_retries=0
    )


def test_filters_go_as_query_parameters_and_a_bare_array_is_read(
    http: responses.RequestsMock,
) -> None:
    query = {"InRegion": "KA", "Contains": "80", "IncomingSMS": "true"}
    http.get(SEARCH, json=[RECORD], match=[matchers.query_param_matcher(query)])
    found = client().search_available(Criteria("IN", "Landline", "KA", "80", sms=True))
    assert found == [Available("+918047100001", "Landline", "KA", True, False, "499.000000", "INR")]


def test_no_filters_send_no_query(http: responses.RequestsMock) -> None:
    http.get(SEARCH, json=[], match=[matchers.query_string_matcher("")])
    assert client().search_available(Criteria("IN", "Landline")) == []


def test_a_currency_is_unknown_outside_known_markets(http: responses.RequestsMock) -> None:
    url = BASE + "/v2_beta/Accounts/acme1/AvailablePhoneNumbers/US/Mobile"
    http.get(url, json=[dict(RECORD, phone_number="+12025550123", country="US")])
    (found,) = client().search_available(Criteria("US", "Mobile"))
    assert (found.number, found.currency) == ("+12025550123", None)


@pytest.mark.parametrize("body", [{"numbers": []}, [1, 2], [{"friendly_name": "x"}], "text", None])
def test_a_body_that_is_not_a_list_of_numbers_is_an_error(
    http: responses.RequestsMock, body: object
) -> None:
    http.get(SEARCH, json=body)
    with pytest.raises(ApiStatusError, match="not a list of numbers"):
        client().search_available(Criteria("IN", "Landline"))


def test_exotels_error_is_raised_with_method_and_path(http: responses.RequestsMock) -> None:
    body = {"RestException": {"Status": 400, "Message": "Invalid region", "Code": "X"}}
    http.get(SEARCH, json=body, status=400)
    with pytest.raises(ApiStatusError) as caught:
        client().search_available(Criteria("IN", "Landline", "ZZ"))
    assert "Invalid region" in str(caught.value)
    assert "AvailablePhoneNumbers/IN/Landline" in str(caught.value)
