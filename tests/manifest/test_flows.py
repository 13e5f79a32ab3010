"""reconciler.manifest.flows: the URL exoplan sends, and the app id inside any URL Exotel returns."""

from __future__ import annotations

import pytest

from reconciler.manifest.flows import PARAMS, STATE_KEYS, app_id_of, flow_key, flow_url


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("voice_flow", "http://my.exotel.com/acme1/exoml/start_voice/123456"),
        ("sms_flow", "http://my.exotel.com/acme1/exoml/start_sms/123456"),
    ],
)
def test_flow_url_is_the_documented_form(field: str, url: str) -> None:
    assert flow_url("acme1", field, "123456") == url


def test_field_tables_name_the_api_parameter_and_state_key() -> None:
    assert PARAMS == {"voice_flow": "VoiceUrl", "sms_flow": "SMSUrl"}
    assert STATE_KEYS == {"voice_flow": "voice_url", "sms_flow": "sms_url"}


@pytest.mark.parametrize(
    "url",
    [
        "http://my.exotel.com/acme1/exoml/start_voice/123456",
        "https://my.exotel.in/acme1/exoml/start_voice/123456",
        "https://my.exotel.com/exoml/start/123456",
        "http://my.exotel.com/acme1/exoml/start_sms/123456",
        "https://my.exotel.com/acme1/exoml/start_voice/123456/",
        "https://my.exotel.com/acme1/exoml/start_voice/123456?from=dashboard",
    ],
)
def test_every_shape_exotel_returns_carries_the_same_app_id(url: str) -> None:
    assert app_id_of(url) == "123456"
    assert flow_key(url) == "123456"
    assert flow_key(url) == flow_key(flow_url("acme1", "voice_flow", "123456"))


@pytest.mark.parametrize(
    "url",
    ["https://example.com/hooks/voice", "https://my.exotel.com/acme1/exoml/", "not a url"],
)
def test_a_url_without_an_app_id_is_compared_as_it_is(url: str) -> None:
    assert app_id_of(url) is None
    assert flow_key(url) == url


@pytest.mark.parametrize("url", [None, ""])
def test_no_url_has_no_key(url: str | None) -> None:
    assert app_id_of(url) is None
    assert flow_key(url) is None


def test_different_app_ids_differ() -> None:
    assert flow_key(flow_url("acme1", "voice_flow", "1")) != flow_key(
        "https://my.exotel.com/exoml/start/2"
    )
