"""The local Exotel stand-in, exercised over real HTTP on a free 127.0.0.1 port."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.sandbox.server import Sandbox, load_seed
from tests.support.project import ACCOUNT, numbers
from tests.support.sandbox import fetch, new_sandbox

KEY, TOKEN = "test-key", "test-token"
BASE = f"/v2_beta/Accounts/{ACCOUNT}/IncomingPhoneNumbers"
NUMBER = "+918030240001"
LEGACY = f"http://twilix.exotel.com{BASE}"
VOICE_LEGACY = f"http://my.exotel.com/{ACCOUNT}/exoml/start_voice/123456"
VOICE_EXOTEL = f"https://my.exotel.in/{ACCOUNT}/exoml/start_voice/123456"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def make(**options: Any) -> Sandbox:
    return new_sandbox(api_key=KEY, api_token=TOKEN, **options)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with make() as sandbox:
        yield sandbox


def call(sandbox: Sandbox, method: str, path: str = BASE, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", (KEY, TOKEN))
    return fetch(method, sandbox.url + path, **kwargs)


def buy(sandbox: Sandbox, number: str = NUMBER, **fields: Any) -> requests.Response:
    timeout = fields.pop("timeout", 5)
    return call(sandbox, "POST", data={"PhoneNumber": number, **fields}, timeout=timeout)


def seeded(count: int, **options: Any) -> Sandbox:
    return make(seed=[{"phone_number": n} for n in numbers(count)], **options)


def error_of(response: requests.Response) -> dict[str, Any]:
    """The error, in the shape Exotel gives its status: a gateway's top-level message for
    a 5xx, RestException without a Code for a 404, with one otherwise."""
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    if response.status_code >= 500:
        assert list(body) == ["message"] and body["message"]
        return {"Status": response.status_code, "Message": body["message"]}
    error: dict[str, Any] = body["RestException"]
    assert error["Status"] == response.status_code
    assert error["Message"]
    assert ("Code" in error) is (response.status_code != 404)
    return error


def wait_until_owned(sandbox: Sandbox, number: str) -> bool:
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if any(r["phone_number"] == number for r in sandbox.owned()):
            return True
        time.sleep(0.01)
    return False


# -- purchase -----------------------------------------------------------------------


def test_purchase_answers_exotels_shape(sb: Sandbox) -> None:
    response = buy(sb, VoiceUrl=VOICE_LEGACY, FriendlyName="Support line")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body.pop("sid"))
    assert body == {  # as the docs show it: no flow URLs, no region
        "phone_number": NUMBER,
        "friendly_name": "Support line",
        "capabilities": {"voice": True, "sms": True},
        "country": "IN",
        "rental_price": "499.000000",
        "currency": "INR",
    }
    assert sb.purchases == Counter({NUMBER: 1})


@pytest.mark.parametrize(
    "spelling", ["+918030240001", "918030240001", "08030240001", "080 3024 0001"]
)
def test_purchase_accepts_any_spelling_and_names_it_nationally(sb: Sandbox, spelling: str) -> None:
    body = buy(sb, spelling).json()
    assert body["phone_number"] == NUMBER
    assert body["friendly_name"] == "08030240001"


def test_purchase_outside_india_prices_locally(sb: Sandbox) -> None:
    body = buy(sb, "+6561234567").json()
    assert (body["country"], body["currency"]) == ("SG", "SGD")


def test_buying_an_owned_number_again_is_409(sb: Sandbox) -> None:
    assert buy(sb).status_code == 200
    response = buy(sb, "08030240001")
    assert response.status_code == 409
    assert "already owned" in error_of(response)["Message"]
    assert sb.purchases[NUMBER] == 1
    assert len(sb.owned()) == 1


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": {}},
        {"data": {"PhoneNumber": ""}},
        {"data": {"PhoneNumber": "12"}},
        {"data": {"PhoneNumber": "not a number"}},
        {"data": {"PhoneNumber": NUMBER, "VoiceURL": VOICE_LEGACY}},
        {"data": b"PhoneNumber=%ff", "headers": FORM},
        {"data": b"PhoneNumber", "headers": FORM},
        {"data": f"PhoneNumber={NUMBER}&PhoneNumber=08030240002", "headers": FORM},
        {"json": {"PhoneNumber": NUMBER}},
    ],
    ids=["empty", "blank", "short", "words", "unknown", "utf8", "no-equals", "repeat", "json"],
)
def test_bad_purchase_is_400(sb: Sandbox, request_kwargs: dict[str, Any]) -> None:
    response = call(sb, "POST", **request_kwargs)
    assert response.status_code == 400
    error_of(response)
    assert sb.owned() == []


# -- auth, routing, methods ------------------------------------------------------------


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"auth": None},
        {"auth": (KEY, "wrong")},
        {"auth": ("wrong", TOKEN)},
        {"auth": None, "headers": {"Authorization": f"Bearer {TOKEN}"}},
        {"auth": None, "headers": {"Authorization": "Basic !!!"}},
    ],
    ids=["missing", "wrong-token", "wrong-key", "bearer", "garbage"],
)
def test_bad_credentials_are_401_and_never_echoed(
    sb: Sandbox, request_kwargs: dict[str, Any]
) -> None:
    response = call(sb, "GET", **request_kwargs)
    assert response.status_code == 401
    assert error_of(response)["Code"] == "UNAUTHORIZED"
    assert "Basic" in response.headers["WWW-Authenticate"]
    assert TOKEN not in response.text and KEY not in response.text
    assert TOKEN not in str(response.headers)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{BASE}/0123456789abcdef"),
        ("PUT", f"{BASE}/0123456789abcdef"),
        ("DELETE", f"{BASE}/0123456789abcdef"),
        ("GET", "/v2_beta/Accounts/other/IncomingPhoneNumbers"),
        ("POST", "/v2_beta/Accounts/other/IncomingPhoneNumbers"),
        ("GET", f"/v2_beta/Accounts/{ACCOUNT}/Calls"),
        ("GET", f"{BASE}.json"),
        ("GET", f"{BASE}/"),
        ("GET", f"{BASE}/a/b"),
        ("GET", "/"),
    ],
)
def test_unknown_sid_account_or_path_is_404(sb: Sandbox, method: str, path: str) -> None:
    response = call(sb, method, path)
    assert response.status_code == 404
    error_of(response)


@pytest.mark.parametrize(
    ("method", "item", "allowed"),
    [
        ("PATCH", False, "GET, POST"),
        ("DELETE", False, "GET, POST"),
        ("PUT", False, "GET, POST"),
        ("POST", True, "GET, PUT, DELETE"),
        ("PATCH", True, "GET, PUT, DELETE"),
    ],
)
def test_wrong_method_is_405(sb: Sandbox, method: str, item: bool, allowed: str) -> None:
    path = f"{BASE}/{buy(sb).json()['sid']}" if item else BASE
    response = call(sb, method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    error_of(response)


# -- get, update, release --------------------------------------------------------------


def test_get_one_number_answers_the_documented_detail(sb: Sandbox) -> None:
    bought = buy(sb, VoiceUrl=VOICE_LEGACY).json()
    response = call(sb, "GET", f"{BASE}/{bought['sid']}")
    assert response.status_code == 200
    assert response.json() == {  # flow URLs and the circle, no price
        "sid": bought["sid"],
        "phone_number": NUMBER,
        "friendly_name": "08030240001",
        "capabilities": {"voice": True, "sms": True},
        "country": "IN",
        "region": "KA",
        "voice_url": VOICE_EXOTEL,
        "sms_url": None,
    }


def test_put_changes_only_the_fields_sent(sb: Sandbox) -> None:
    sid = buy(sb, VoiceUrl=VOICE_LEGACY, FriendlyName="Old").json()["sid"]
    renamed = call(sb, "PUT", f"{BASE}/{sid}", data={"FriendlyName": "New"})
    assert renamed.status_code == 200
    assert (renamed.json()["friendly_name"], renamed.json()["voice_url"]) == ("New", VOICE_EXOTEL)
    sms = f"http://my.exotel.com/{ACCOUNT}/exoml/start_sms/223344"
    body = call(sb, "PUT", f"{BASE}/{sid}", data={"SMSUrl": sms}).json()
    assert body["sms_url"] == f"https://my.exotel.in/{ACCOUNT}/exoml/start_sms/223344"
    assert (body["friendly_name"], body["voice_url"]) == ("New", VOICE_EXOTEL)
    assert set(body) == {
        "sid",
        "phone_number",
        "friendly_name",
        "voice_url",
        "sms_url",
        "capabilities",
    }
    detail = call(sb, "GET", f"{BASE}/{sid}").json()
    assert {key: detail[key] for key in body} == body


def test_put_with_no_fields_changes_nothing_and_unknown_fields_are_400(sb: Sandbox) -> None:
    bought = buy(sb).json()
    before = call(sb, "GET", f"{BASE}/{bought['sid']}").json()
    assert call(sb, "PUT", f"{BASE}/{bought['sid']}").status_code == 200
    assert call(sb, "GET", f"{BASE}/{bought['sid']}").json() == before
    bad = call(sb, "PUT", f"{BASE}/{bought['sid']}", data={"PhoneNumber": "+918030240002"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("field", "sent", "stored"),
    [
        ("VoiceUrl", VOICE_LEGACY, VOICE_EXOTEL),
        (
            "VoiceUrl",
            "https://my.exotel.com/exoml/start/42",
            f"https://my.exotel.in/{ACCOUNT}/exoml/start_voice/42",
        ),
        (
            "SMSUrl",
            "https://my.exotel.com/exoml/start/42",
            f"https://my.exotel.in/{ACCOUNT}/exoml/start_sms/42",
        ),
        (
            "SMSUrl",
            "http://my.exotel.in/Exotel/exoml/start_sms/7",
            f"https://my.exotel.in/{ACCOUNT}/exoml/start_sms/7",
        ),
        ("VoiceUrl", "https://hooks.example.com/flow/42", "https://hooks.example.com/flow/42"),
        ("VoiceUrl", f"{VOICE_LEGACY}?debug=1", f"{VOICE_LEGACY}?debug=1"),
        ("VoiceUrl", "", None),
    ],
)
def test_flow_urls_come_back_in_exotels_other_form(
    sb: Sandbox, field: str, sent: str, stored: str | None
) -> None:
    key = "voice_url" if field == "VoiceUrl" else "sms_url"
    sid = buy(sb, **{field: sent}).json()["sid"]
    assert call(sb, "GET", f"{BASE}/{sid}").json()[key] == stored
    assert call(sb, "PUT", f"{BASE}/{sid}", data={field: sent}).json()[key] == stored


def test_delete_is_202_and_the_number_is_gone() -> None:
    with make(release_lingers=0) as sb:
        sid = buy(sb).json()["sid"]
        response = call(sb, "DELETE", f"{BASE}/{sid}")
        assert response.status_code == 202
        assert response.json() == {"Status": 202, "Message": "Accepted"}
        assert call(sb, "GET", f"{BASE}/{sid}").status_code == 404
        assert call(sb, "DELETE", f"{BASE}/{sid}").status_code == 404
        assert call(sb, "GET").json()["incoming_phone_numbers"] == []
        assert sb.owned() == []
        assert buy(sb).status_code == 200  # released numbers can be bought again


def test_a_released_number_stays_listed_for_a_while_after_its_202() -> None:
    with make(release_lingers=0.3) as sb:
        sid = buy(sb).json()["sid"]
        assert call(sb, "DELETE", f"{BASE}/{sid}").status_code == 202
        assert sb.owned() == []  # no longer the account's ...
        listed = call(sb, "GET").json()["incoming_phone_numbers"]
        assert [r["sid"] for r in listed] == [sid]  # ... yet still listed
        assert call(sb, "GET", f"{BASE}/{sid}").status_code == 200
        assert call(sb, "DELETE", f"{BASE}/{sid}").status_code == 202
        time.sleep(0.4)
        assert call(sb, "GET").json()["incoming_phone_numbers"] == []
        assert call(sb, "GET", f"{BASE}/{sid}").status_code == 404


def test_listed_numbers_carry_flows_and_circles_but_no_price() -> None:
    seed = [{"phone_number": n} for n in ("+918030240001", "+912230240001", "+911130240001")]
    with make(seed=seed) as sb:
        listed = call(sb, "GET").json()["incoming_phone_numbers"]
    assert [r["region"] for r in listed] == ["KA", "MU", "DL"]
    assert all("voice_url" in r and "sms_url" in r for r in listed)
    assert not any("rental_price" in r or "currency" in r for r in listed)
    assert [r["sid"] for r in listed] == ["08030240001", "02230240001", "01130240001"]


# -- listing ----------------------------------------------------------------------------


def test_list_pages_with_absolute_legacy_uris() -> None:
    with seeded(5) as sandbox:
        pages = [call(sandbox, "GET", params={"Page": n, "PageSize": 2}).json() for n in range(3)]
        everything = [r["phone_number"] for r in sandbox.owned()]
    assert [len(p["incoming_phone_numbers"]) for p in pages] == [2, 2, 1]
    listed = [r["phone_number"] for p in pages for r in p["incoming_phone_numbers"]]
    assert listed == everything
    for n, page in enumerate(pages):
        assert (page["page"], page["page_size"]) == (n, 2)
        assert page["uri"] == f"{LEGACY}?Page={n}&PageSize=2"
        assert page["first_page_uri"] == f"{LEGACY}?Page=0&PageSize=2"
    assert pages[0]["previous_page_uri"] is None
    assert pages[0]["next_page_uri"] == f"{LEGACY}?Page=1&PageSize=2"
    assert pages[2]["previous_page_uri"] == f"{LEGACY}?Page=1&PageSize=2"
    assert pages[2]["next_page_uri"] is None


def test_list_page_size_defaults_to_50_and_is_capped_at_100() -> None:
    with seeded(99) as sandbox:
        first = call(sandbox, "GET").json()
        capped = call(sandbox, "GET", params={"PageSize": 500}).json()
        beyond = call(sandbox, "GET", params={"Page": 9}).json()
    assert (first["page_size"], len(first["incoming_phone_numbers"])) == (50, 50)
    assert first["next_page_uri"] == f"{LEGACY}?Page=1&PageSize=50"
    assert (capped["page_size"], len(capped["incoming_phone_numbers"])) == (100, 99)
    assert capped["next_page_uri"] is None
    assert (beyond["incoming_phone_numbers"], beyond["next_page_uri"]) == ([], None)


@pytest.mark.parametrize("query", ["Page=-1", "Page=x", "PageSize=0", "Page=1&Page=2", "PageSize="])
def test_bad_page_parameters_are_400(sb: Sandbox, query: str) -> None:
    response = call(sb, "GET", f"{BASE}?{query}")
    assert response.status_code == 400
    error_of(response)


# -- rate limits and faults ---------------------------------------------------------


def test_rate_limit_answers_429_with_headers_until_the_window_slides() -> None:
    with make(rate_limit=2, window_seconds=0.4) as sandbox:
        one, two, three, four = numbers(5)[1:]
        first, second = buy(sandbox, one), buy(sandbox, two)
        limited = buy(sandbox, three)
        assert len(sandbox.owned()) == 2  # a throttled request does no work
        time.sleep(0.45)
        again = buy(sandbox, four)
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert [first.headers["X-RateLimit-Remaining"], second.headers["X-RateLimit-Remaining"]] == [
        "1",
        "0",
    ]
    assert limited.status_code == 429
    assert error_of(limited)["Code"] == "RATE_LIMIT_EXCEEDED"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert time.time() - 1 <= int(limited.headers["X-RateLimit-Reset"]) <= time.time() + 2
    assert again.status_code == 200


def test_reads_advertise_and_enforce_their_own_limit() -> None:
    with make(read_rate_limit=3, rate_limit=100, window_seconds=0.5) as sandbox:
        reads = [call(sandbox, "GET") for _ in range(3)]
        limited = call(sandbox, "GET")
        bought = buy(sandbox)  # writes have a budget of their own
        searched = call(
            sandbox, "GET", f"/v2_beta/Accounts/{ACCOUNT}/AvailablePhoneNumbers/IN/Landline"
        )
        time.sleep(0.55)
        again = call(sandbox, "GET")
    now = time.time()
    for read, remaining in zip(reads, ["2", "1", "0"], strict=True):
        assert read.status_code == 200
        assert read.headers["X-RateLimit-Limit"] == "3"
        assert read.headers["X-RateLimit-Remaining"] == remaining
        assert now - 1 <= int(read.headers["X-RateLimit-Reset"]) <= now + 2
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-RateLimit-Limit"] == "3"
    assert error_of(limited)["Code"] == "RATE_LIMIT_EXCEEDED"
    assert bought.status_code == 200 and bought.headers["X-RateLimit-Limit"] == "100"
    assert searched.status_code == 429  # a search is a read
    assert again.status_code == 200


def test_writes_beyond_their_limit_leave_reads_alone() -> None:
    with make(rate_limit=1, window_seconds=5) as sandbox:
        assert buy(sandbox).status_code == 200
        assert buy(sandbox, numbers(2)[1]).status_code == 429
        listed = call(sandbox, "GET")
    assert listed.status_code == 200 and "X-RateLimit-Limit" not in listed.headers


def test_unlimited_sandbox_sends_no_rate_headers(sb: Sandbox) -> None:
    assert "X-RateLimit-Limit" not in call(sb, "GET").headers


def test_throttle_next_answers_429_with_retry_after(sb: Sandbox) -> None:
    sb.throttle_next(1, retry_after=3)
    limited = buy(sb)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    assert limited.headers["X-RateLimit-Limit"] == "50"
    assert error_of(limited)["Code"] == "RATE_LIMIT_EXCEEDED"
    assert sb.owned() == []
    assert buy(sb).status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_fail_next_answers_5xx_without_doing_the_work(sb: Sandbox, status: int) -> None:
    sb.fail_next(2, status=status)
    assert buy(sb).status_code == status
    failed = call(sb, "GET")
    assert failed.status_code == status
    error_of(failed)
    assert sb.owned() == [] and sb.purchases == Counter()
    assert buy(sb).status_code == 200
    assert sb.purchases == Counter({NUMBER: 1})


def test_fault_hooks_reject_nonsense(sb: Sandbox) -> None:
    with pytest.raises(ValueError):
        sb.fail_next(1, status=404)
    with pytest.raises(ValueError):
        sb.delay_next(-1, 1.0)


def test_fail_rate_fails_at_random_without_doing_the_work() -> None:
    with make(fail_rate=1.0, rng_seed=3) as sandbox:
        statuses = {buy(sandbox).status_code for _ in range(5)}
        assert sandbox.owned() == []
    assert statuses <= {500, 502, 503}


def test_fail_rate_is_reproducible_with_an_rng_seed() -> None:
    def statuses() -> list[int]:
        with make(fail_rate=0.5, rng_seed=2) as sandbox:
            return [call(sandbox, "GET").status_code for _ in range(10)]

    first = statuses()
    assert first == statuses()
    assert 200 in first and set(first) - {200}


def test_dropped_purchase_is_committed_once_but_never_answered(sb: Sandbox) -> None:
    sb.drop_after_commit_next(1)
    assert call(sb, "GET").status_code == 200  # only purchases are dropped
    with pytest.raises(requests.ConnectionError):
        buy(sb)
    assert [r["phone_number"] for r in sb.owned()] == [NUMBER]
    assert buy(sb).status_code == 409
    assert sb.purchases == Counter({NUMBER: 1})
    assert ("POST", BASE, 0) in sb.request_log


def test_drop_rate_commits_a_share_of_purchases_and_never_answers_them() -> None:
    wanted = numbers(40)
    with make(drop_rate=0.25, rng_seed=7) as sandbox:
        answered = 0
        for number in wanted:
            try:
                answered += buy(sandbox, number).status_code == 200
            except requests.ConnectionError:
                pass
        assert sandbox.purchases == Counter(wanted)  # every one was made, once
        dropped = sandbox.requests_by_status[0]
    assert answered + dropped == 40 and 0 < dropped < 40


def test_delay_next_does_the_work_but_answers_after_the_client_gave_up(sb: Sandbox) -> None:
    sb.delay_next(1, 0.5)
    with pytest.raises(requests.Timeout):
        buy(sb, timeout=0.15)
    assert wait_until_owned(sb, NUMBER)
    assert sb.purchases == Counter({NUMBER: 1})


def test_delay_next_holds_the_answer(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    pause = sb._pause

    def recorded(seconds: float) -> None:
        pauses.append(seconds)
        pause(seconds)

    monkeypatch.setattr(sb, "_pause", recorded)
    sb.delay_next(1, 0.25)
    started = time.monotonic()
    assert call(sb, "GET").status_code == 200
    assert time.monotonic() - started >= 0.25
    assert 0.25 in pauses
    pauses.clear()
    assert call(sb, "GET").status_code == 200
    assert all(seconds == 0 for seconds in pauses), pauses  # only the next one was held


def test_latency_delays_every_answer() -> None:
    with make(latency_ms=100) as sandbox:
        started = time.monotonic()
        assert call(sandbox, "GET").status_code == 200
    assert time.monotonic() - started >= 0.1


def test_concurrent_purchases_of_one_number_buy_it_once(sb: Sandbox) -> None:
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(buy(sb).status_code)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 7
    assert sb.purchases == Counter({NUMBER: 1})


# -- observation, lifecycle -------------------------------------------------------------


def test_request_log_and_status_counts(sb: Sandbox) -> None:
    buy(sb)
    call(sb, "GET", f"{BASE}/nope", params={"x": 1})
    assert sb.request_log == [("POST", BASE, 200), ("GET", f"{BASE}/nope", 404)]
    assert sb.requests_by_status == Counter({200: 1, 404: 1})


def test_pages_served_counts_each_listing_page() -> None:
    with seeded(99) as sandbox:
        for page in (0, 1, 2, 0):
            call(sandbox, "GET", params={"Page": page, "PageSize": 50})
        call(sandbox, "GET", f"{BASE}/nope")
        assert sandbox.pages_served == Counter({0: 2, 1: 1, 2: 1})


def test_owned_returns_copies(sb: Sandbox) -> None:
    buy(sb)
    sb.owned()[0]["capabilities"]["sms"] = False
    assert sb.owned()[0]["capabilities"]["sms"] is True


def test_url_env_and_random_default_credentials(sb: Sandbox) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sb.url)
    assert sb.env() == {"EXOTEL_API_URL": sb.url, "EXOTEL_API_KEY": KEY, "EXOTEL_API_TOKEN": TOKEN}
    one, two = Sandbox(), Sandbox()
    assert re.fullmatch(r"[0-9a-f]{32}", one.api_key) and one.api_token != two.api_token


def test_stopped_sandbox_refuses_connections() -> None:
    with make() as sandbox:
        url = sandbox.url
    with pytest.raises(requests.ConnectionError):
        fetch("GET", url + BASE, auth=(KEY, TOKEN), timeout=2)


@pytest.mark.parametrize(
    "options",
    [
        {"rate_limit": -1},
        {"read_rate_limit": -1},
        {"latency_ms": -1},
        {"fail_rate": 1.5},
        {"drop_rate": -0.1},
        {"window_seconds": 0},
    ],
)
def test_bad_settings_are_rejected(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make(**options)


# -- seeding --------------------------------------------------------------------------


def test_seed_records_are_owned_from_the_start() -> None:
    start_url = "https://my.exotel.com/exoml/start/1"
    seed = [
        {"phone_number": "08030240001", "sid": "01130240001", "voice_url": start_url},
        {"phone_number": "+918030240002", "friendly_name": "Sales"},
    ]
    with make(seed=seed) as sandbox:
        first = call(sandbox, "GET", f"{BASE}/01130240001").json()
        listed = call(sandbox, "GET").json()["incoming_phone_numbers"]
    assert (first["phone_number"], first["friendly_name"]) == (NUMBER, "08030240001")
    assert first["voice_url"] == start_url  # seeds are stored exactly as given
    assert [r["friendly_name"] for r in listed] == ["08030240001", "Sales"]
    assert listed[1]["sid"] == "08030240002"  # number-like, as the docs' listings show


@pytest.mark.parametrize(
    "seed",
    [
        [{"phone_number": "12"}],
        [{"sid": "abc"}],
        [{"phone_number": NUMBER, "sid": 5}],
        [{"phone_number": NUMBER}, {"phone_number": "08030240001"}],
        [{"phone_number": NUMBER, "sid": "a"}, {"phone_number": "+918030240002", "sid": "a"}],
    ],
    ids=["invalid", "no-number", "sid-type", "same-number", "same-sid"],
)
def test_bad_seed_is_rejected(seed: list[dict[str, Any]]) -> None:
    with pytest.raises(ValueError):
        make(seed=seed)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("seed.json", json.dumps([{"phone_number": NUMBER, "sid": "s1"}])),
        (
            "seed.json",
            json.dumps({"incoming_phone_numbers": [{"phone_number": NUMBER, "sid": "s1"}]}),
        ),
        ("seed.yaml", f"- phone_number: '{NUMBER}'\n  sid: s1\n"),
        ("seed.yml", f"incoming_phone_numbers:\n  - phone_number: '{NUMBER}'\n    sid: s1\n"),
    ],
)
def test_load_seed_reads_json_and_yaml(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert load_seed(path) == [{"phone_number": NUMBER, "sid": "s1"}]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bad.json", "["),
        ("bad.yaml", "- [unclosed\n"),
        ("bad.json", '{"numbers": []}'),
        ("bad.json", '[{"sid": "s1"}]'),
    ],
)
def test_load_seed_rejects_bad_files_naming_them(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=name):
        load_seed(path)


def test_a_seed_may_be_a_plain_list_of_numbers(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("- '+918030240001'\n- phone_number: '+918030240002'\n")
    records = load_seed(seed)
    assert [r["phone_number"] for r in records] == ["+918030240001", "+918030240002"]
