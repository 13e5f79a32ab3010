"""What a plan costs: rental on purchases (looked up by plan --refresh) and releases, the
monthly change in text, Markdown and JSON, and the --max-monthly-increase gate in plan and
apply. Run as subprocesses against the sandbox's inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.manifest.schema import schema
from tests.support.inprocess import apply, exoplan
from tests.support.project import STATE, number, read_state, snapshot, write_manifest, write_state
from tests.support.run import FAST
from tests.support.sandbox import new_sandbox, only_reads

FOR_SALE = "+918047100001"  # in the sandbox's inventory at 499 INR
UNLISTED = number(1)  # not in the inventory: no known price


def test_offline_plan_counts_purchases_of_unknown_price(tmp_path: Path) -> None:
    write_manifest(tmp_path, [FOR_SALE, UNLISTED])
    result = exoplan(None, tmp_path, "plan")
    assert result.code == 0, result.stderr
    assert "Monthly rental: no known change\n" in result.stdout
    assert "2 purchases have no known price (plan --refresh looks prices up).\n" in result.stdout


def test_plan_refresh_prices_listed_numbers_from_the_inventory(tmp_path: Path) -> None:
    write_manifest(tmp_path, [FOR_SALE, UNLISTED])
    with new_sandbox() as sb:
        result = exoplan(sb, tmp_path, "plan", "--refresh", *FAST)
        assert only_reads(sb)
    assert result.code == 0, result.stderr
    assert f"+ purchase {FOR_SALE}  (rental 499.00 INR/month)" in result.stdout
    assert "Monthly rental: +499.00 INR, net +499.00 INR/month" in result.stdout
    assert "1 purchase has no known price" in result.stdout


def test_releases_remove_the_states_rental_in_every_format(tmp_path: Path) -> None:
    write_manifest(tmp_path, [])
    write_state(tmp_path / STATE, [number(2)])
    text = exoplan(None, tmp_path, "plan").stdout
    assert "Monthly rental: -499.00 INR, net -499.00 INR/month" in text
    markdown = exoplan(None, tmp_path, "plan", "--format", "markdown").stdout
    assert "**Monthly rental:** -499.00 INR, net -499.00 INR/month" in markdown
    data = json.loads(exoplan(None, tmp_path, "plan", "--format", "json").stdout)
    Draft202012Validator(schema("plan")).validate(data)
    assert data["cost"] == {
        "added": {},
        "removed": {"INR": "499.00"},
        "net": {"INR": "-499.00"},
        "unknown_prices": 0,
        "max_monthly_increase": None,
        "over_budget": None,
    }


def test_the_budget_gate_in_plan_names_the_figures(tmp_path: Path) -> None:
    write_manifest(tmp_path, [FOR_SALE])
    with new_sandbox() as sb:
        over = exoplan(sb, tmp_path, "plan", "--refresh", "--max-monthly-increase", "100", *FAST)
        within = exoplan(
            sb,
            tmp_path,
            "plan",
            "--refresh",
            "--max-monthly-increase",
            "499",
            "--format",
            "markdown",
            *FAST,
        )
    assert over.code == 1
    assert "Over budget: the monthly rental would grow by +499.00 INR" in over.stdout
    assert "error: over budget" in over.stderr and "--max-monthly-increase 100.00" in over.stderr
    assert within.code == 0, within.stderr
    assert "Within budget" in within.stdout


def test_an_unknown_price_fails_the_budget_gate(tmp_path: Path) -> None:
    write_manifest(tmp_path, [UNLISTED])
    result = exoplan(None, tmp_path, "plan", "--max-monthly-increase", "100000")
    assert result.code == 1
    assert "1 purchase has no known price" in result.stderr


def test_apply_refuses_over_budget_before_any_request(tmp_path: Path) -> None:
    write_manifest(tmp_path, [FOR_SALE])
    with new_sandbox() as sb:
        assert exoplan(sb, tmp_path, "plan", "--refresh", "--out", "p.json", *FAST).code == 0
        before = snapshot(tmp_path)
        refused = apply(sb, tmp_path, "p.json", "--max-monthly-increase", "10")
        assert not sb.purchases
        assert refused.code == 1 and "over budget" in refused.stderr
        assert snapshot(tmp_path) == before
        done = apply(sb, tmp_path, "p.json", "--max-monthly-increase", "500")
        assert done.code == 0, done.stderr
        assert dict(sb.purchases) == {FOR_SALE: 1}
    assert read_state(tmp_path)["numbers"][FOR_SALE]["rental_price"] == "499.000000"


@pytest.mark.parametrize("value", ["-1", "1e3", "abc", "10 INR"])
def test_a_bad_amount_is_refused_naming_the_flag(tmp_path: Path, value: str) -> None:
    write_manifest(tmp_path, [])
    result = exoplan(None, tmp_path, "plan", "--max-monthly-increase", value)
    assert result.code == 1 and "--max-monthly-increase" in result.stderr
