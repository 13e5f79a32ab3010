"""Fuzzing the client's listing with odd pages (seeded, a fixed count of examples):
empty pages that link on, links that repeat, pages without links, records exoplan cannot
read. Whatever the pages, a listing either refuses (ApiStatusError) or returns only when
its last page said it was the last, with every record of every page read, all readable.
Set EXOPLAN_EXPLORE=N for N fresh random examples."""

from __future__ import annotations

from typing import Any

import responses
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import ApiStatusError
from reconciler.exotel import listing
from reconciler.exotel.client import Credentials, ExotelClient
from tests.e2e.test_properties import examples

BASE = "https://api.in.exotel.com"
ROOT = BASE + "/v2_beta/Accounts/acme1/IncomingPhoneNumbers"
PAGE_SIZE = 3
#: The page served after the generated ones: empty, and the last.
END: dict[str, Any] = {"incoming_phone_numbers": [], "next_page_uri": None}

good_records = st.builds(
    lambda i: {"sid": f"PN{i}", "phone_number": f"+9180302400{i:02d}"}, st.integers(1, 60)
)
bad_values = st.one_of(
    st.none(), st.integers(-10, 10), st.just(""), st.just(" "), st.text(max_size=6), st.booleans()
)
bad_records = st.one_of(
    st.builds(lambda v: {"sid": v, "phone_number": "+918030240001"}, bad_values),
    st.builds(lambda v: {"sid": "PNX", "phone_number": v}, bad_values),
    st.just({"phone_number": "+918030240001"}),
)
links = st.one_of(st.none(), st.just(""), st.sampled_from(["A", "B", "C"]), st.integers(0, 9))
pages = st.lists(
    st.builds(
        lambda records, link, has_link: {
            "incoming_phone_numbers": records,
            "page_size": PAGE_SIZE,
            **(
                {"next_page_uri": link if isinstance(link, (str, type(None))) else f"?Page={link}"}
                if has_link
                else {}
            ),
        },
        st.lists(st.one_of(good_records, good_records, bad_records), max_size=PAGE_SIZE),
        links,
        st.booleans(),
    ),
    min_size=1,
    max_size=14,
)


def readable(record: dict[str, Any]) -> bool:
    return not listing.unreadable(record, "IN")


def listed(served: list[dict[str, Any]]) -> tuple[list[dict[str, Any]] | None, int]:
    """What the client lists from ``served`` (None when it refused), and pages asked."""
    client = ExotelClient(
        "acme1", BASE, Credentials("k", "t"), rate_limit=0, read_rate_limit=0, max_retries=0
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for body in served:
            mock.get(ROOT, json=body)
        mock.get(ROOT, json=END)  # then the honest last page, again and again
        try:
            records = client.list_numbers(page_size=PAGE_SIZE)
        except ApiStatusError:
            return None, len(mock.calls)
        return records, len(mock.calls)


@given(served=pages)
@examples(300)
def test_a_listing_returns_only_when_complete_and_readable(served: list[dict[str, Any]]) -> None:
    records, asked = listed(served)
    read = [*served, *[END] * asked][:asked]
    seen = [record for body in read for record in body["incoming_phone_numbers"]]
    if any(not readable(record) for record in seen):
        assert records is None  # one record that cannot be read refuses the listing
        return
    if records is None:
        return  # refused for a loop, repeats or too many empty pages: always allowed
    last = read[-1]
    assert not last.get("next_page_uri")  # ended only where the listing said it ends
    assert {r["sid"] for r in records} == {r["sid"] for r in seen}  # nothing dropped
    assert all(readable(record) for record in records)
