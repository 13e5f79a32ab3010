"""The sandbox's inventory: filters like Exotel's, bought numbers leave it, sold ones
are refused, and ``--inventory`` replaces it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.inventory import Inventory, default_inventory, load_inventory
from tests.support.project import ACCOUNT
from tests.support.sandbox import COLLECTION, fetch, new_sandbox

SEARCH = f"/v2_beta/Accounts/{ACCOUNT}/AvailablePhoneNumbers"


def test_the_default_inventory_has_every_type_and_several_circles_at_fixed_prices() -> None:
    records = default_inventory()
    assert records == default_inventory()  # deterministic
    types = {r["number_type"]: r["rental_price"] for r in records}
    assert types == {"Landline": "499.000000", "Mobile": "999.000000", "TollFree": "1999.000000"}
    assert len({r["region"] for r in records if r["number_type"] == "Landline"}) >= 5
    assert not any(r["capabilities"]["sms"] for r in records if r["number_type"] == "TollFree")
    assert len({r["phone_number"] for r in records}) == len(records)


def test_filters_region_contains_and_sms() -> None:
    stock = Inventory()
    found = stock.search("IN", "Landline", "InRegion=KA&Contains=0004&IncomingSMS=true")
    assert [r["phone_number"] for r in found] == ["+918047100004"]
    assert stock.search("in", "landline", "InRegion=ka") == stock.search(
        "IN", "Landline", "InRegion=KA"
    )
    assert stock.search("SG", "Landline", "") == []


def test_search_buy_and_sold_numbers_through_http() -> None:
    with new_sandbox() as sb:
        auth = (sb.api_key, sb.api_token)
        url = f"{sb.url}{SEARCH}/IN/Landline"
        first = fetch("GET", url, params={"InRegion": "KA"}, auth=auth).json()
        assert isinstance(first, list) and first[0]["phone_number"] == "+918047100001"
        assert "currency" not in first[0]
        bought = fetch(
            "POST", sb.url + COLLECTION, data={"PhoneNumber": "+918047100001"}, auth=auth
        )
        assert bought.ok and bought.json()["rental_price"] == "499.000000"
        again = fetch("GET", url, params={"InRegion": "KA"}, auth=auth).json()
        assert "+918047100001" not in [r["phone_number"] for r in again]
        sb.sell("+918047100002")
        refused = fetch(
            "POST", sb.url + COLLECTION, data={"PhoneNumber": "+918047100002"}, auth=auth
        )
        assert refused.status_code == 400 and "not available" in refused.text
        assert fetch("GET", url, auth=("x", "y")).status_code == 401


def test_an_inventory_file_replaces_the_stock(tmp_path: Path) -> None:
    path = tmp_path / "stock.yaml"
    path.write_text("- phone_number: '+918047109999'\n  country: IN\n  number_type: Landline\n")
    records = load_inventory(path)
    assert [r["phone_number"] for r in Inventory(records).search("IN", "Landline", "")] == [
        "+918047109999"
    ]
    path.write_text("{}")
    with pytest.raises(ValueError, match="expected a list"):
        load_inventory(path)
