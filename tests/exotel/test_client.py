"""Tests for reconciler.exotel.client: the HTTP client, its retries and purchase safety."""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from responses import matchers

from reconciler.errors import (
    ApiConnectionError,
    ApiError,
    ApiNotSent,
    ApiOutcomeUnknown,
    ApiStatusError,
    UsageError,
)
from reconciler.exotel import listing
from reconciler.exotel.client import (
    REGION_HOSTS,
    Credentials,
    ExotelClient,
    Purchased,
    base_url_for,
    credentials_from_env,
)
from tests.support.clock import FakeTime

KEY = "exokey0123456789abcdef"
TOKEN = "exotoken9876543210fedcba"
BASIC = base64.b64encode(f"{KEY}:{TOKEN}".encode()).decode()
BASE = "https://api.in.exotel.com"
PATH = "/v2_beta/Accounts/acme1/IncomingPhoneNumbers"
ROOT = BASE + PATH
NUMBER = "+918030240001"
OWNED = {"sid": "PN1", "phone_number": NUMBER, "friendly_name": "Support line"}
ERROR_404 = {"RestException": {"Status": 404, "Message": "ExoPhone not found", "Code": "NOT_FOUND"}}


class Http:
    """A mocked Exotel (``mock``), a fake clock, and clients wired to both."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock
        self.time = FakeTime(1000.0)
        self.sleeps = self.time.sleeps

    def client(self, base: str = BASE, **options: Any) -> ExotelClient:
        settings = {
            "rate_limit": 0,
            "read_rate_limit": 0,
            "sleep": self.time.sleep,
            "clock": self.time.clock,
        }
        return ExotelClient("acme1", base, Credentials(KEY, TOKEN), **{**settings, **options})

    def count(self, method: str) -> int:
        return sum(1 for call in self.mock.calls if call.request.method == method)


@pytest.fixture
def http() -> Iterator[Http]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Http(mock)


def owned(sid: str, index: int) -> dict[str, Any]:
    """An owned number's record: ``sid`` and the ``index``-th test number."""
    return {"sid": sid, "phone_number": f"+9180302400{index:02d}"}


def page(items: list[dict[str, Any]], next_uri: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"page": 0, "incoming_phone_numbers": items, "next_page_uri": next_uri, **extra}


def form_of(call: Any) -> dict[str, list[str]]:
    return parse_qs(call.request.body)


# -- configuration ---------------------------------------------------------------


def test_basic_auth_header_is_sent(http: Http) -> None:
    http.mock.get(f"{ROOT}/PN1", json=OWNED)
    assert http.client().get_number("PN1") == OWNED
    assert http.mock.calls[0].request.headers["Authorization"] == f"Basic {BASIC}"


@pytest.mark.parametrize(
    ("region", "env", "expected"),
    [
        ("mumbai", {}, "https://api.in.exotel.com"),
        ("singapore", {}, "https://api.exotel.com"),
        ("Mumbai", {"EXOTEL_API_URL": ""}, "https://api.in.exotel.com"),
        ("mumbai", {"EXOTEL_API_URL": "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080"),
    ],
)
def test_base_url_for(region: str, env: dict[str, str], expected: str) -> None:
    assert base_url_for(region, env) == expected
    assert REGION_HOSTS["mumbai"] == "https://api.in.exotel.com"


def test_unknown_region_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown Exotel region 'mars'; use one of: mumbai"):
        base_url_for("mars", {})


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "EXOTEL_API_KEY and EXOTEL_API_TOKEN are not set"),
        ({"EXOTEL_API_KEY": KEY}, "EXOTEL_API_TOKEN is not set"),
        ({"EXOTEL_API_TOKEN": TOKEN, "EXOTEL_API_KEY": "  "}, "EXOTEL_API_KEY is not set"),
    ],
)
def test_missing_credentials_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(UsageError, match=named) as caught:
        credentials_from_env(env)
    assert "API Settings" in str(caught.value)


def test_credentials_come_from_the_variables_the_manifest_names() -> None:
    env = {"EXOTEL_API_KEY": "wrong", "ACME_KEY": KEY, "ACME_TOKEN": TOKEN}
    assert credentials_from_env(env, "ACME_KEY", "ACME_TOKEN") == Credentials(KEY, TOKEN)
    with pytest.raises(UsageError, match="^ACME_TOKEN is not set"):
        credentials_from_env({"ACME_KEY": KEY}, "ACME_KEY", "ACME_TOKEN")


def test_credentials_come_from_env_and_hide_in_repr() -> None:
    creds = credentials_from_env({"EXOTEL_API_KEY": KEY, "EXOTEL_API_TOKEN": f"{TOKEN}\n"})
    assert creds == Credentials(KEY, TOKEN)
    assert KEY not in repr(creds) and TOKEN not in repr(creds) and TOKEN not in str(creds)


def test_base_url_prefix_is_kept_and_userinfo_dropped(http: Http) -> None:
    http.mock.get(f"http://127.0.0.1:8080/proxy{PATH}/PN9", status=404, json=ERROR_404)
    client = http.client(base="http://user:secret@127.0.0.1:8080/proxy/")
    with pytest.raises(ApiStatusError) as caught:
        client.get_number("PN9")
    assert caught.value.path == f"/proxy{PATH}/PN9"
    assert "secret" not in str(caught.value)
    assert http.mock.calls[0].request.headers["Authorization"] == f"Basic {BASIC}"


@pytest.mark.parametrize(
    "base",
    [
        "127.0.0.1:8080",
        "ftp://example.com",
        "https://",
        "http://[::1",
        "http://host:99999",
        "http://host:port",
        "http://ho st",
        "http://host/\x1b[2J",
        "http://host/?Page=1",
        "http://" + "h" * 5000,
    ],
)
def test_bad_base_url_is_a_usage_error(http: Http, base: str) -> None:
    with pytest.raises(UsageError, match="EXOTEL_API_URL") as caught:
        http.client(base=base)
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"EXOTEL_API_KEY": KEY, "EXOTEL_API_TOKEN": "tökén€"}, "EXOTEL_API_TOKEN"),
        ({"EXOTEL_API_KEY": "ключ", "EXOTEL_API_TOKEN": TOKEN}, "EXOTEL_API_KEY"),
        ({"EXOTEL_API_KEY": KEY, "EXOTEL_API_TOKEN": "tok\x1ben"}, "EXOTEL_API_TOKEN"),
    ],
)
def test_credentials_basic_auth_cannot_send_name_the_variable_not_the_value(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(UsageError) as caught:
        credentials_from_env(env)
    assert str(caught.value).startswith(named)
    assert env[named] not in str(caught.value)


def test_context_manager_closes_the_session(http: Http, monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    monkeypatch.setattr(requests.Session, "close", lambda self: closed.append(True))
    with http.client() as client:
        assert isinstance(client, ExotelClient)
    assert closed == [True]


# -- operations ------------------------------------------------------------------


def test_purchase_sends_the_form_fields(http: Http) -> None:
    http.mock.post(ROOT, json=OWNED)
    params = {"VoiceUrl": "http://my.exotel.com/acme1/exoml/start_voice/1", "FriendlyName": "S"}
    assert http.client().purchase(NUMBER, params) == Purchased(OWNED)
    request = http.mock.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form_of(http.mock.calls[0]) == {
        "PhoneNumber": [NUMBER],
        "VoiceUrl": [params["VoiceUrl"]],
        "FriendlyName": ["S"],
    }


def test_update_sends_only_the_given_fields(http: Http) -> None:
    http.mock.put(f"{ROOT}/PN1", json={**OWNED, "friendly_name": "New"})
    assert http.client().update("PN1", {"FriendlyName": "New"})["friendly_name"] == "New"
    assert form_of(http.mock.calls[0]) == {"FriendlyName": ["New"]}


@pytest.mark.parametrize(
    ("status", "body"), [(202, {"Status": 202, "Message": "Accepted"}), (204, None), (200, None)]
)
def test_release_accepts_any_2xx(http: Http, status: int, body: Any) -> None:
    http.mock.delete(f"{ROOT}/PN1", status=status, json=body)
    http.client().release("PN1")
    assert http.count("DELETE") == 1


def test_list_follows_pages_on_our_own_host(http: Http) -> None:
    other = "http://twilix.exotel.com/v2_beta/Accounts/acme1/IncomingPhoneNumbers"
    for number, next_uri in [(0, f"{other}?Page=1"), (1, f"{other}?Page=2"), (2, None)]:
        query = {"Page": str(number), "PageSize": "2"}
        items = [owned(f"PN{number}a", 2 * number + 1), owned(f"PN{number}b", 2 * number + 2)]
        http.mock.get(ROOT, match=[matchers.query_param_matcher(query)], json=page(items, next_uri))
    records = http.client().list_numbers(page_size=2)
    assert [r["sid"] for r in records] == ["PN0a", "PN0b", "PN1a", "PN1b", "PN2a", "PN2b"]
    assert all(str(call.request.url).startswith(ROOT) for call in http.mock.calls)


@pytest.mark.parametrize("last", [{"next_page_uri": ""}, {}, {"next_page_uri": None}])
def test_list_stops_on_a_short_last_page(http: Http, last: dict[str, Any]) -> None:
    http.mock.get(ROOT, json={"incoming_phone_numbers": [OWNED], **last})
    assert http.client().list_numbers() == [OWNED]
    assert len(http.mock.calls) == 1


def test_list_follows_an_empty_page_that_links_to_a_next_one(http: Http) -> None:
    http.mock.get(ROOT, json=page([], f"{ROOT}?Page=1"))
    http.mock.get(ROOT, json=page([], f"{ROOT}?Page=2"))
    http.mock.get(ROOT, json=page([OWNED], None))
    assert http.client().list_numbers() == [OWNED]
    assert len(http.mock.calls) == 3


def test_list_stops_on_an_empty_page_without_links(http: Http) -> None:
    http.mock.get(ROOT, json=page([OWNED], f"{ROOT}?Page=1"))
    http.mock.get(ROOT, json={"incoming_phone_numbers": []})
    assert http.client().list_numbers() == [OWNED]
    assert len(http.mock.calls) == 2


def test_list_without_links_goes_on_while_pages_are_full(http: Http) -> None:
    http.mock.get(
        ROOT, json={"page_size": 2, "incoming_phone_numbers": [owned("a", 1), owned("b", 2)]}
    )
    http.mock.get(ROOT, json={"page_size": 2, "incoming_phone_numbers": [owned("c", 3)]})
    assert [r["sid"] for r in http.client().list_numbers()] == ["a", "b", "c"]


def test_a_repeated_full_page_raises_instead_of_looping(http: Http) -> None:
    records = [owned("a", 1), owned("b", 2)]
    http.mock.get(ROOT, json=page(records, f"{ROOT}?Page=1", page_size=2))
    with pytest.raises(ApiStatusError, match="page 1 repeating earlier records"):
        http.client().list_numbers(page_size=2)
    assert len(http.mock.calls) == 2


def test_a_repeated_short_page_that_links_on_raises(http: Http) -> None:
    http.mock.get(ROOT, json=page([OWNED], f"{ROOT}?Page=1"))
    with pytest.raises(ApiStatusError, match="page 1 repeating earlier records"):
        http.client().list_numbers()
    assert len(http.mock.calls) == 2


def test_a_repeated_last_page_ends_the_listing(http: Http) -> None:
    http.mock.get(ROOT, json=page([OWNED], f"{ROOT}?Page=1"))
    http.mock.get(ROOT, json=page([OWNED], None))
    assert http.client().list_numbers() == [OWNED]
    assert len(http.mock.calls) == 2


@pytest.mark.parametrize(
    ("pages", "refused"),
    [
        ([page([], "A"), page([], "B"), page([], "A")], "page 2 links to 'A' again"),
        ([page([OWNED], "A"), page([owned("PN2", 2)], "A")], "page 1 links to 'A' again"),
    ],
)
def test_links_that_loop_raise(http: Http, pages: list[dict[str, Any]], refused: str) -> None:
    for body in pages:
        http.mock.get(ROOT, json=body)
    with pytest.raises(ApiStatusError, match=re.escape(refused)):
        http.client().list_numbers()
    assert len(http.mock.calls) == len(pages)


def test_too_many_empty_pages_in_a_row_raise(http: Http) -> None:
    for number in range(listing.MAX_EMPTY_PAGES):
        http.mock.get(ROOT, json=page([], f"{ROOT}?Page={number + 1}"))
    with pytest.raises(ApiStatusError, match="empty pages in a row"):
        http.client().list_numbers()
    assert len(http.mock.calls) == listing.MAX_EMPTY_PAGES


@pytest.mark.parametrize(
    ("record", "named"),
    [
        ({"sid": "PN3", "phone_number": "n/a"}, "phone_number 'n/a' is not a phone number"),
        ({"sid": 5, "phone_number": NUMBER}, "sid 5 is not an ExoPhone sid"),
        ({"sid": "PN3", "phone_number": 8030240003}, "phone_number 8030240003 is not a"),
        ({"sid": "PN3"}, "phone_number None is not a phone number"),
        ({"sid": " ", "phone_number": NUMBER}, "sid ' ' is not an ExoPhone sid"),
    ],
)
def test_a_record_that_cannot_be_read_raises(
    http: Http, record: dict[str, Any], named: str
) -> None:
    http.mock.get(ROOT, json=page([OWNED, record]))
    with pytest.raises(ApiStatusError, match=re.escape(f"page 0, record 2: {named}")):
        http.client().owned_index()


def test_owned_index_normalises_numbers(http: Http) -> None:
    national = {"sid": "PN2", "phone_number": "08030240002"}
    http.mock.get(ROOT, json=page([OWNED, national]))
    client = http.client()
    assert client.owned_index() == {NUMBER: OWNED, "+918030240002": national}


# -- errors, retries and pacing ---------------------------------------------------


def test_get_404_carries_exotels_message(http: Http) -> None:
    http.mock.get(f"{ROOT}/PN9", status=404, json=ERROR_404)
    with pytest.raises(ApiStatusError) as caught:
        http.client().get_number("PN9")
    error = caught.value
    assert (error.status, error.message, error.code) == (404, "ExoPhone not found", "NOT_FOUND")
    assert (error.method, error.path) == ("GET", f"{PATH}/PN9")
    assert str(error) == f"GET {PATH}/PN9 HTTP 404 [NOT_FOUND]: ExoPhone not found"
    assert len(http.mock.calls) == 1


def test_401_names_the_credentials_to_check(http: Http) -> None:
    body = {"RestException": {"Status": 401, "Message": "Authentication failed"}}
    http.mock.get(ROOT, status=401, json=body)
    with pytest.raises(ApiStatusError, match="Authentication failed .*EXOTEL_API_KEY") as caught:
        http.client().list_numbers()
    assert caught.value.status == 401 and caught.value.code is None
    assert len(http.mock.calls) == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"json": {"message": "Invalid sid"}}, "Invalid sid"),
        ({"json": {"error": {"message": "Bad field"}}}, "Bad field"),
        ({"body": "<html>\n<b>Bad   request</b></html>"}, "<html> <b>Bad request</b></html>"),
        ({"body": ""}, "(empty body)"),
    ],
)
def test_error_messages_are_parsed_defensively(
    http: Http, body: dict[str, Any], expected: str
) -> None:
    http.mock.get(f"{ROOT}/PN1", status=400, **body)
    with pytest.raises(ApiStatusError) as caught:
        http.client().get_number("PN1")
    assert caught.value.message == expected


def test_a_2xx_that_is_not_json_is_an_error(http: Http) -> None:
    http.mock.get(f"{ROOT}/PN1", body="<html>maintenance</html>")
    with pytest.raises(ApiStatusError, match="not a JSON object: <html>maintenance") as caught:
        http.client().get_number("PN1")
    assert caught.value.status == 200


def test_429_waits_as_long_as_retry_after_says(http: Http) -> None:
    http.mock.get(ROOT, status=429, headers={"Retry-After": "30"}, json={"RestException": {}})
    http.mock.get(ROOT, json=page([OWNED]))
    assert http.client().list_numbers() == [OWNED]
    assert http.sleeps == [30.0]


def test_429_waits_until_the_rate_limit_reset(http: Http) -> None:
    reset = str(int(time.time()) + 20)
    http.mock.get(f"{ROOT}/PN1", status=429, headers={"X-RateLimit-Reset": reset})
    http.mock.get(f"{ROOT}/PN1", json=OWNED)
    http.client().get_number("PN1")
    assert len(http.sleeps) == 1 and 18.0 < http.sleeps[0] <= 20.0


@pytest.mark.parametrize(("headers", "wait"), [({"Retry-After": "120"}, 120.0), ({}, 1.0)])
def test_429_wait_is_capped_or_backs_off(http: Http, headers: dict[str, str], wait: float) -> None:
    http.mock.get(f"{ROOT}/PN1", status=429, headers=headers)
    http.mock.get(f"{ROOT}/PN1", json=OWNED)
    http.client().get_number("PN1")
    assert http.sleeps == [wait]


@pytest.mark.parametrize("asked", ["3600", "1e308", "99999999999999999999"])
def test_a_429_asking_for_a_longer_wait_than_the_cap_gives_up_at_once(
    http: Http, asked: str
) -> None:
    http.mock.get(f"{ROOT}/PN1", status=429, headers={"Retry-After": asked})
    with pytest.raises(ApiStatusError, match="longer than the 120s exoplan waits") as caught:
        http.client().get_number("PN1")
    assert caught.value.status == 429 and len(http.mock.calls) == 1
    assert http.sleeps == [] and len(str(caught.value)) < 300


def test_429_every_time_gives_up(http: Http) -> None:
    http.mock.get(f"{ROOT}/PN1", status=429, headers={"Retry-After": "1"})
    with pytest.raises(ApiStatusError) as caught:
        http.client(max_retries=2).get_number("PN1")
    assert caught.value.status == 429 and len(http.mock.calls) == 3


def test_spent_quota_pauses_the_next_request(http: Http) -> None:
    quota = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 10)}
    http.mock.get(f"{ROOT}/PN1", json=OWNED, headers=quota)
    http.mock.get(f"{ROOT}/PN1", json=OWNED)
    client = http.client()
    client.get_number("PN1")
    assert http.sleeps == []
    client.get_number("PN1")
    assert len(http.sleeps) == 1 and 8.0 < http.sleeps[0] <= 10.0


def test_writes_are_paced_by_the_rate_limit(http: Http) -> None:
    http.mock.put(f"{ROOT}/PN1", json=OWNED)
    client = http.client(rate_limit=60)
    for _ in range(3):
        client.update("PN1", {"FriendlyName": "x"})
    assert http.sleeps == [1.0, 1.0]


def test_reads_are_paced_by_the_read_rate_limit(http: Http) -> None:
    http.mock.get(f"{ROOT}/PN1", json=OWNED)
    client = http.client(rate_limit=600, read_rate_limit=30)
    for _ in range(3):
        client.get_number("PN1")
    assert http.sleeps == [2.0, 2.0]


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("GET", lambda c: c.get_number("PN1")),
        ("PUT", lambda c: c.update("PN1", {"FriendlyName": "x"})),
        ("DELETE", lambda c: c.release("PN1")),
    ],
)
@pytest.mark.parametrize("failure", [{"status": 503}, {"body": requests.ConnectionError("reset")}])
def test_idempotent_requests_retry_after_5xx_and_connection_errors(
    http: Http, method: str, call: Any, failure: dict[str, Any]
) -> None:
    http.mock.add(method, f"{ROOT}/PN1", **failure)
    http.mock.add(method, f"{ROOT}/PN1", json=OWNED, status=202 if method == "DELETE" else 200)
    call(http.client())
    assert http.count(method) == 2
    assert len(http.sleeps) == 1 and 0.0 <= http.sleeps[0] <= 1.0


def test_5xx_every_time_gives_up(http: Http) -> None:
    http.mock.get(f"{ROOT}/PN1", status=502, body="<html>Bad Gateway</html>")
    with pytest.raises(ApiStatusError, match="Bad Gateway") as caught:
        http.client(max_retries=3).get_number("PN1")
    assert caught.value.status == 502 and len(http.mock.calls) == 4 and len(http.sleeps) == 3


def test_4xx_is_not_retried(http: Http) -> None:
    http.mock.put(f"{ROOT}/PN1", status=400, json={"message": "Invalid VoiceUrl"})
    with pytest.raises(ApiStatusError, match="Invalid VoiceUrl"):
        http.client().update("PN1", {"VoiceUrl": "nope"})
    assert len(http.mock.calls) == 1 and http.sleeps == []


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (requests.ConnectionError("[Errno 111] Connection refused"), "could not connect"),
        (requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)"), "timed out"),
        (requests.exceptions.ConnectTimeout("connect timeout"), "timed out"),
    ],
)
def test_connection_failures_become_api_connection_errors(
    http: Http, failure: Exception, words: str
) -> None:
    http.mock.get(f"{ROOT}/PN1", body=failure)
    with pytest.raises(ApiConnectionError, match=words) as caught:
        http.client(max_retries=1).get_number("PN1")
    assert caught.value.__cause__ is failure
    assert (caught.value.method, caught.value.path, caught.value.status) == (
        "GET",
        f"{PATH}/PN1",
        None,
    )
    assert len(http.mock.calls) == 2


def test_release_retried_after_an_unknown_outcome_may_find_it_gone(http: Http) -> None:
    http.mock.delete(f"{ROOT}/PN1", body=requests.exceptions.ReadTimeout("timed out"))
    http.mock.delete(f"{ROOT}/PN1", status=404, json=ERROR_404)
    http.client().release("PN1")
    http.mock.delete(f"{ROOT}/PN2", status=404, json=ERROR_404)
    with pytest.raises(ApiStatusError, match="ExoPhone not found"):
        http.client().release("PN2")


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503, "json": {"message": "Service Unavailable"}},
        {"body": requests.exceptions.ReadTimeout("Read timed out.")},
    ],
)
def test_a_change_whose_outcome_cannot_be_told_is_unknown_not_refused(
    http: Http, method: str, answer: dict[str, Any]
) -> None:
    http.mock.add(method, f"{ROOT}/PN1", **answer)
    client = http.client(max_retries=1)
    with pytest.raises(ApiOutcomeUnknown):
        if method == "PUT":
            client.update("PN1", {"FriendlyName": "New"})
        else:
            client.release("PN1")


def test_a_refusal_stays_a_refusal(http: Http) -> None:
    http.mock.put(f"{ROOT}/PN1", status=400, json={"message": "Bad FriendlyName"})
    with pytest.raises(ApiStatusError) as raised:
        http.client().update("PN1", {"FriendlyName": "x"})
    assert not isinstance(raised.value, ApiOutcomeUnknown)


def test_after_stop_sending_nothing_is_sent(http: Http) -> None:
    client = http.client()
    client.stop_sending()
    with pytest.raises(ApiNotSent):
        client.update("PN1", {"FriendlyName": "New"})
    with pytest.raises(ApiNotSent):
        client.purchase(NUMBER, {})
    assert len(http.mock.calls) == 0


# -- purchase safety -------------------------------------------------------------

UNKNOWN_OUTCOMES = [
    {"body": requests.exceptions.ReadTimeout("Read timed out.")},
    {"status": 503, "json": {"RestException": {"Message": "Service Unavailable"}}},
    {"body": requests.ConnectionError("Connection reset by peer")},
]


@pytest.mark.parametrize("failure", UNKNOWN_OUTCOMES)
def test_an_unknown_purchase_outcome_is_raised_without_posting_again_or_listing(
    http: Http, failure: dict[str, Any]
) -> None:
    # The apply settles every such purchase with one listing (apply.executor).
    http.mock.post(ROOT, **failure)
    with pytest.raises(ApiOutcomeUnknown):
        http.client().purchase(NUMBER, {"FriendlyName": "S"})
    assert [call.request.method for call in http.mock.calls] == ["POST"]
    assert http.sleeps == []


def test_a_purchase_answered_about_another_number_is_unknown(http: Http) -> None:
    http.mock.post(ROOT, json={"sid": "PN9", "phone_number": "+918030240009"})
    with pytest.raises(ApiOutcomeUnknown, match="the record of another number") as caught:
        http.client().purchase(NUMBER, {})
    assert caught.value.status == 200 and http.count("GET") == 0


@pytest.mark.parametrize(
    ("status", "message"),
    [(409, "Conflict"), (400, "This number is already assigned to your account")],
)
def test_a_conflict_is_raised_as_exotel_said_without_listing(
    http: Http, status: int, message: str
) -> None:
    http.mock.post(
        ROOT, status=status, json={"RestException": {"Status": status, "Message": message}}
    )
    with pytest.raises(ApiStatusError, match=message) as caught:
        http.client().purchase(NUMBER, {})
    assert not isinstance(caught.value, ApiOutcomeUnknown)
    assert caught.value.status == status and len(http.mock.calls) == 1


def test_purchase_rate_limited_waits_and_posts_again_without_lookup(http: Http) -> None:
    http.mock.post(ROOT, status=429, headers={"Retry-After": "5"})
    http.mock.post(ROOT, json=OWNED)
    assert http.client().purchase(NUMBER, {}) == Purchased(OWNED)
    assert (http.count("POST"), http.count("GET"), http.sleeps) == (2, 0, [5.0])


def test_purchase_refused_is_not_looked_up_or_retried(http: Http) -> None:
    http.mock.post(ROOT, status=402, json={"RestException": {"Message": "Insufficient balance"}})
    with pytest.raises(ApiStatusError, match="Insufficient balance"):
        http.client().purchase(NUMBER, {})
    assert len(http.mock.calls) == 1


# -- secrets and logs ------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 401, "json": {"RestException": {"Message": f"bad key {KEY}"}}},
        {"status": 500, "body": f"token={TOKEN} auth=Basic {BASIC}"},
        {"body": requests.ConnectionError(f"https://{KEY}:{TOKEN}@api.in.exotel.com refused")},
        {"body": requests.exceptions.ReadTimeout(f"Authorization: Basic {BASIC}")},
    ],
)
def test_secrets_never_reach_errors_or_logs(
    http: Http,
    caplog: pytest.LogCaptureFixture,
    answer: dict[str, Any],
) -> None:
    caplog.set_level(logging.DEBUG, logger="exoplan.http")
    http.mock.get(f"{ROOT}/PN1", **answer)
    with pytest.raises(ApiError) as caught:
        http.client(max_retries=1).get_number("PN1")
    error = caught.value
    shown = [str(error), repr(error), error.message, error.path, caplog.text]
    assert not [text for text in shown for secret in (KEY, TOKEN, BASIC) if secret in text]


def test_each_request_is_logged_in_one_line(http: Http, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="exoplan.http")
    http.mock.get(ROOT, json=page([OWNED]))
    http.client().list_numbers(page_size=50)
    line = rf"GET {PATH}\?Page=0&PageSize=50 -> 200 \(\d+\.\d{{3}}s\)"
    assert [r for r in caplog.messages if re.fullmatch(line, r)]
