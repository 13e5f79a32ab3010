"""Reading the account's listing page by page, and refusing one that cannot be trusted.

A listing is how exoplan learns that a number is gone, so only a listing read in full
proves anything: :class:`Listing` takes each page's body and says whether another page
follows, or raises :class:`Untrusted` naming what is wrong. It follows ``next_page_uri``
past empty pages (a server may send an empty page that links on), and refuses pages that
repeat earlier records or links (a loop), too many empty pages in a row, too many pages
in all, and any record whose sid or number cannot be read. Pure: the client fetches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.exotel.answers import clean_record, identity
from reconciler.manifest import numbers
from reconciler.records import Owned

#: The most pages one listing reads (50 numbers each, 200,000 in all): a listing longer
#: than this is a server that never says "last page", not an account.
MAX_PAGES = 4_000
#: The most empty pages in a row that still link to a next one: more is a server that
#: never gets to the numbers, not an account.
MAX_EMPTY_PAGES = 10
#: How much of a value from an answer an error shows.
_SHOWN = 60


class Untrusted(Exception):
    """The listing is not complete and readable; the message says what is wrong."""


def records_of(body: Any) -> list[Mapping[str, Any]] | None:
    """The records of a listing page, or None when the body is not a page of numbers:
    a page without its ``incoming_phone_numbers`` array never means "owns nothing"."""
    items = body.get("incoming_phone_numbers") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return None
    return items


def unreadable(record: Mapping[str, Any], country: str) -> str:
    """Why exoplan cannot read ``record`` as an owned number ("" when it can): its sid
    must be text and its phone_number a phone number (read in ``country``)."""
    sid, phone = record.get("sid"), record.get("phone_number")
    if not isinstance(sid, str) or not sid.strip():
        return f"sid {shown(sid)} is not an ExoPhone sid"
    if not isinstance(phone, str) or numbers.try_normalise(phone, country) is None:
        return f"phone_number {shown(phone)} is not a phone number"
    return ""


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def has_next_page(body: Any, count: int, asked: int) -> bool:
    """Whether another page follows: ``next_page_uri`` says so when the page has one
    (even an empty page); without links, go on while pages are full."""
    if isinstance(body, dict) and "next_page_uri" in body:
        return bool(body["next_page_uri"])
    size = body.get("page_size") if isinstance(body, dict) else None
    full = size if isinstance(size, int) and size > 0 else asked
    return count > 0 and count >= full


class Listing:
    """The records read so far; :meth:`read` takes one page at a time."""

    def __init__(self, page_size: int, country: str) -> None:
        self.records: Owned = {}  # by identity (the sid)
        self._page_size = page_size
        self._country = country
        self._links: set[str] = set()
        self._empty_run = 0

    def read(self, page: int, body: Any) -> bool:
        """Take page number ``page``; whether another page follows. Raises Untrusted."""
        items = records_of(body)
        if items is None:
            raise Untrusted("a body that is not a page of numbers (no incoming_phone_numbers)")
        self._check_records(page, items)
        more = has_next_page(body, len(items), self._page_size)
        fresh = {key: item for item in items if (key := identity(item)) not in self.records}
        if items and not fresh and more:
            raise Untrusted(f"page {page} repeating earlier records (listing may be incomplete)")
        self.records.update({key: clean_record(item) for key, item in fresh.items()})
        if more:
            self._check_link(page, body.get("next_page_uri") if isinstance(body, dict) else None)
            self._check_empty(items)
        return more

    def _check_records(self, page: int, items: list[Mapping[str, Any]]) -> None:
        for index, item in enumerate(items):
            why = unreadable(item, self._country)
            if why:
                raise Untrusted(
                    f"a record exoplan cannot read (page {page}, record {index + 1}: {why}); "
                    "a listing not read in full proves nothing is gone"
                )

    def _check_link(self, page: int, link: Any) -> None:
        if not isinstance(link, str):
            return
        if link in self._links:
            raise Untrusted(
                f"pages that loop (page {page} links to {shown(link)} again; listing refused)"
            )
        self._links.add(link)

    def _check_empty(self, items: list[Mapping[str, Any]]) -> None:
        self._empty_run = 0 if items else self._empty_run + 1
        if self._empty_run >= MAX_EMPTY_PAGES:
            raise Untrusted(
                f"{MAX_EMPTY_PAGES} empty pages in a row that still link to a next page "
                "(listing refused)"
            )
