"""Prices from a hostile Exotel (tests/support/hostile.py): a rental below zero, NaN or
infinite is not a price. It never offsets another purchase in the budget gate
(--max-monthly-increase) and never passes a pool's max_rental: it counts as unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.hostile import Hostile, Reply, Request, page
from tests.support.inprocess import exoplan
from tests.support.project import number, snapshot, write_manifest
from tests.support.run import FAST, Result

DEAR, ODD = number(31), number(32)
NOT_PRICES = ["-1900", "-0.01", "NaN", "sNaN", "Infinity", "-Infinity", "1e400", -5]
POOL = """\
version: 1
account: {sid: acme1, region: mumbai}
numbers: []
pools:
  blr:
    count: 1
    country: IN
    type: Landline
    max_rental: 600
"""


def offer(phone: str, price: Any) -> dict[str, Any]:
    return {"phone_number": phone, "number_type": "Landline", "rental_price": price}


def inventory(offers: list[dict[str, Any]]) -> Any:
    def script(request: Request) -> Reply:
        if "/AvailablePhoneNumbers/" in request.path:
            return Reply(body=offers)
        return Reply(body=page([]))

    return script


def run(server: Hostile, folder: Path, *args: str) -> Result:
    result = exoplan(None, folder, *args, *FAST, env=server.env())
    assert "Traceback" not in result.stderr
    return result


@pytest.mark.parametrize("price", NOT_PRICES)
def test_a_price_that_is_not_one_never_offsets_the_budget(tmp_path: Path, price: Any) -> None:
    write_manifest(tmp_path, [DEAR, ODD])
    offers = [offer(DEAR, "2000.000000"), offer(ODD, price)]
    with Hostile(inventory(offers)) as server:
        result = run(server, tmp_path, "plan", "--refresh", "--max-monthly-increase", "150")
    assert result.code == 1, result.output
    assert "over budget" in result.stderr
    assert "+2000.00 INR" in result.stderr and "1 purchase has no known price" in result.stderr


@pytest.mark.parametrize("price", NOT_PRICES)
def test_a_price_that_is_not_one_never_passes_max_rental(tmp_path: Path, price: Any) -> None:
    (tmp_path / "numbers.yaml").write_text(POOL, encoding="utf-8")
    before = snapshot(tmp_path)
    with Hostile(inventory([offer(ODD, price)])) as server:
        result = run(server, tmp_path, "apply", "--auto-approve")
    assert result.code == 1, result.output
    assert "pool blr: wanted 1 more number(s), found 0" in result.stderr
    assert not server.sent("POST")
    assert snapshot(tmp_path) == before
