"""``exoplan search`` as a user runs it, against the sandbox's inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.support.inprocess import exoplan
from tests.support.project import write_manifest
from tests.support.run import FAST
from tests.support.sandbox import new_sandbox, only_reads


def test_search_prints_a_table_of_numbers_for_sale(tmp_path: Path) -> None:
    write_manifest(tmp_path, [])
    with new_sandbox() as sb:
        result = exoplan(
            sb, tmp_path, "search", "--country", "in", "--type", "landline", "--region", "KA", *FAST
        )
        assert only_reads(sb)
    assert (result.code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NUMBER", "TYPE", "REGION", "VOICE", "SMS", "MONTHLY", "RENTAL"]
    assert lines[1].split() == ["+918047100001", "Landline", "KA", "yes", "no", "499.00", "INR"]
    assert lines[-1] == "8 numbers for sale."


def test_search_yaml_is_paste_ready_numbers_entries(tmp_path: Path) -> None:
    write_manifest(tmp_path, [])
    with new_sandbox() as sb:
        result = exoplan(
            sb,
            tmp_path,
            "search",
            "--country",
            "IN",
            "--type",
            "Landline",
            "--region",
            "KA",
            "--sms",
            "--contains",
            "0004",
            "--format",
            "yaml",
            *FAST,
        )
    assert result.code == 0, result.stderr
    assert yaml.safe_load(result.stdout) == {"numbers": [{"number": "+918047100004"}]}
    assert "# Landline KA, 499.00 INR/month" in result.stdout


def test_search_json_with_the_account_from_flags(tmp_path: Path) -> None:
    with new_sandbox() as sb:
        result = exoplan(
            sb,
            tmp_path,
            "search",
            "--country",
            "IN",
            "--type",
            "TollFree",
            "--account-sid",
            sb.account_sid,
            "--format",
            "json",
            *FAST,
        )
    assert result.code == 0, result.stderr
    found = json.loads(result.stdout)
    assert len(found) == 8
    assert found[0]["rental"] == {"price": "1999.000000", "currency": "INR"}
    assert found[0]["capabilities"] == {"voice": True, "sms": False}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--country", "India", "--type", "Landline"), "--country: expected an ISO 3166-1"),
        (("--country", "IN", "--type", "Fax"), "--type: expected one of Landline, Mobile"),
        (("--country", "IN", "--type", "Mobile", "--contains", "8x"), "--contains: expected"),
    ],
)
def test_bad_criteria_are_refused_before_any_request(
    tmp_path: Path, flags: tuple[str, ...], message: str
) -> None:
    write_manifest(tmp_path, [])
    with new_sandbox() as sb:
        result = exoplan(sb, tmp_path, "search", *flags, *FAST)
        assert sb.request_log == []
    assert result.code == 1
    assert message in result.stderr


def test_search_without_a_manifest_or_account_says_what_to_do(tmp_path: Path) -> None:
    result = exoplan(None, tmp_path, "search", "--country", "IN", "--type", "Mobile")
    assert result.code == 1
    assert "numbers.yaml" in result.stderr and "error" in result.stderr
