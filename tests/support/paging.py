"""An account of 250 numbers on a fake Exotel host, served page by page by ``responses``.

For the commands that read the live account, run in-process: the ``api`` fixture
(``tests/conftest.py``) points EXOTEL_API_URL at HOST with KEY and TOKEN, and
:func:`serve` registers every page of the listing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses
from responses import matchers

from reconciler.cli.parser import build_parser
from tests.support.project import STATE, write_manifest, write_state
from tests.support.records import (
    PROJECT_MANIFEST,
    adopted,
    described,
    listing_page,
    live_url,
    record,
)
from tests.support.run import FAST

HOST = "https://exotel.test"
ROOT = "/v2_beta/Accounts/acme1/IncomingPhoneNumbers"
LEGACY = "http://twilix.exotel.com" + ROOT
KEY, TOKEN = "test-key-0123", "test-token-4567"
PAGE_SIZE = 50  # what the client asks for (the only size Exotel documents)
#: The managed numbers sit on the first and the last page; 247 more are not managed.
LAST = "+918030240250"


def account(changes: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """250 owned numbers in listing order: the two described first, LAST at the end.

    ``changes`` are made outside exoplan: number -> fields.
    """
    records = list(described().values())
    records += [record(f"+9180302{n:05d}") for n in range(3, 250)]
    records.append(record(LAST, friendly_name="Last page", voice_url=live_url(123456)))
    for number, fields in (changes or {}).items():
        index = next(i for i, r in enumerate(records) if r["phone_number"] == number)
        records[index] = {**records[index], **fields}
    assert len(records) == 250
    return records


def serve(mock: responses.RequestsMock, records: list[dict[str, Any]]) -> None:
    """Register the listing, page by page (Page=0 to 4, 50 a page), as Exotel paginates it."""
    pages = (len(records) + PAGE_SIZE - 1) // PAGE_SIZE
    for page in range(pages):
        mock.get(
            HOST + ROOT,
            json=listing_page(records, page, PAGE_SIZE, LEGACY),
            match=[matchers.query_param_matcher({"Page": str(page), "PageSize": str(PAGE_SIZE)})],
        )


def project(tmp_path: Path, numbers: dict[str, dict[str, Any]] | None = None) -> Path:
    """numbers.yaml with LAST added, and a state managing ONE, TWO and LAST."""
    body = PROJECT_MANIFEST + f'  - number: "{LAST}"\n    friendly_name: Last page\n'
    manifest = write_manifest(tmp_path, body)
    if numbers is None:
        last = record(LAST, friendly_name="Last page", voice_url=live_url(123456))
        numbers = adopted([*described().values(), last])
    write_state(tmp_path / STATE, numbers, lineage="lineage-1")
    return manifest


def parse(*argv: str) -> Any:
    """``exoplan ARGV --rate-limit 0 --read-rate-limit 0`` as the real parser reads it."""
    return build_parser().parse_args([*argv, *FAST])


def pages_asked(mock: responses.RequestsMock) -> list[int]:
    """The pages asked for, in order; every request was a GET of HOST (never LEGACY)."""
    asked = []
    for call in mock.calls:
        assert call.request.method == "GET"
        url = urlsplit(str(call.request.url))
        assert f"{url.scheme}://{url.netloc}{url.path}" == HOST + ROOT  # never the legacy host
        asked.append(int(parse_qs(url.query)["Page"][0]))
    return asked
