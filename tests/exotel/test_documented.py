"""The client asks as Exotel documents (PageSize=50) and explains the errors a first run meets."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import ApiStatusError
from tests.exotel.test_client import NUMBER, PATH, ROOT, Http, http, page

__all__ = ["http"]  # the fixture, shared with test_client


def test_lists_ask_for_the_documented_page_size(http: Http) -> None:
    http.mock.get(ROOT, json=page([{"sid": "PN1", "phone_number": NUMBER}]))
    http.client().list_numbers()
    assert http.mock.calls[0].request.url == f"{ROOT}?Page=0&PageSize=50"


@pytest.mark.parametrize(
    ("status", "body", "hint"),
    [
        (401, {"RestException": {"Status": 401, "Message": "Unauthorized"}}, "EXOTEL_API_KEY"),
        (401, {"message": "Unauthorized"}, "other region"),
        (
            403,
            {"RestException": {"Status": 403, "Message": "Forbidden", "Code": "X"}},
            "allow-list",
        ),
        (403, {"message": "Forbidden"}, "suspended"),
        (404, {"RestException": {"Status": 404, "Message": "Not Found"}}, "account.region or"),
    ],
)
def test_errors_on_the_account_path_carry_a_hint(
    http: Http, status: int, body: dict[str, Any], hint: str
) -> None:
    http.mock.get(ROOT, status=status, json=body)
    with pytest.raises(ApiStatusError, match=hint) as caught:
        http.client().list_numbers()
    assert caught.value.status == status and caught.value.path == PATH


def test_a_404_about_one_number_is_not_blamed_on_the_account(http: Http) -> None:
    http.mock.get(f"{ROOT}/PN9", status=404, json={"message": "ExoPhone not found"})
    with pytest.raises(ApiStatusError) as caught:
        http.client().get_number("PN9")
    assert caught.value.message == "ExoPhone not found"


def test_a_purchase_on_a_missing_account_gets_the_hint(http: Http) -> None:
    http.mock.post(ROOT, status=404, json={"message": "Not Found"})
    with pytest.raises(ApiStatusError, match="wrong account.region or account.sid"):
        http.client().purchase(NUMBER, {})
