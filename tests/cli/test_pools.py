"""Pools through the sandbox: an offline plan counts, plan --refresh pins, apply buys
and records members, and the next plan has nothing to do."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.inprocess import apply, exoplan
from tests.support.project import read_state
from tests.support.run import FAST
from tests.support.sandbox import new_sandbox, owned_sids

MANIFEST = """\
version: 1
account: {sid: acme1, region: mumbai}
flows: {support-ivr: {app_id: 123456}}
numbers: []
pools:
  blr:
    count: 2
    country: IN
    type: Landline
    region: KA
    max_rental: 600
    friendly_name: "Support {n}"
    voice_flow: support-ivr
"""


def test_a_pool_is_planned_pinned_bought_and_kept(tmp_path: Path) -> None:
    (tmp_path / "numbers.yaml").write_text(MANIFEST, encoding="utf-8")
    with new_sandbox() as sandbox:
        offline = exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode")
        assert offline.code == 2, offline.output
        assert "2 numbers for pool blr, chosen at apply or by plan --refresh" in offline.stdout
        saved = exoplan(sandbox, tmp_path, "plan", "--refresh", "--out", "p.json", *FAST)
        assert saved.code == 0, saved.output
        data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
        pinned = [a["number"] for a in data["actions"] if a["action"] == "purchase"]
        assert len(pinned) == 2 and len(set(pinned)) == 2
        assert data["needs"] == []
        bought = apply(sandbox, tmp_path, "p.json")
        assert bought.code == 0, bought.output
        assert sorted(owned_sids(sandbox)) == sorted(pinned)  # exactly the pinned numbers
        numbers = read_state(tmp_path)["numbers"]
        assert sorted(
            (e["pool"], e["pool_index"], e["friendly_name"]) for e in numbers.values()
        ) == [
            ("blr", 1, "Support 1"),
            ("blr", 2, "Support 2"),
        ]
        again = exoplan(sandbox, tmp_path, "plan", "--refresh", "--detailed-exitcode", *FAST)
        assert again.code == 0, again.output


def test_an_offline_pool_plan_cannot_be_applied(tmp_path: Path) -> None:
    (tmp_path / "numbers.yaml").write_text(MANIFEST, encoding="utf-8")
    with new_sandbox() as sandbox:
        assert exoplan(sandbox, tmp_path, "plan", "--out", "p.json").code == 0
        refused = apply(sandbox, tmp_path, "p.json")
        assert refused.code == 1
        assert "does not say which numbers to buy for pool(s) blr (2)" in refused.stderr
        assert owned_sids(sandbox) == {}


def test_a_pinned_number_sold_meanwhile_fails_and_nothing_is_substituted(tmp_path: Path) -> None:
    (tmp_path / "numbers.yaml").write_text(MANIFEST, encoding="utf-8")
    with new_sandbox() as sandbox:
        assert exoplan(sandbox, tmp_path, "plan", "--refresh", "--out", "p.json", *FAST).code == 0
        data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
        first, second = sorted(a["number"] for a in data["actions"])
        sandbox.sell(first)  # bought by someone else between plan and apply
        result = apply(sandbox, tmp_path, "p.json")
        assert result.code == 1
        assert f"purchase {first}" in result.stdout + result.stderr
        assert sorted(owned_sids(sandbox)) == [second]  # no other number in its place
        assert list(read_state(tmp_path)["numbers"]) == [second]


def test_a_lowered_count_needs_the_release_list(tmp_path: Path) -> None:
    (tmp_path / "numbers.yaml").write_text(MANIFEST, encoding="utf-8")
    with new_sandbox() as sandbox:
        assert apply(sandbox, tmp_path).code == 0  # apply picks and buys two itself
        members = sorted(owned_sids(sandbox))
        lowered = MANIFEST.replace("count: 2", "count: 1")
        (tmp_path / "numbers.yaml").write_text(lowered, encoding="utf-8")
        refused = exoplan(sandbox, tmp_path, "plan")
        assert refused.code == 1
        assert "pool blr has 2 members but its count is 1" in refused.stderr
        named = lowered + f'    release: ["{members[1]}"]\n'
        (tmp_path / "numbers.yaml").write_text(named, encoding="utf-8")
        released = apply(sandbox, tmp_path, "--allow-release")
        assert released.code == 0, released.output
        assert sorted(owned_sids(sandbox)) == [members[0]]


DESK = "+918030240001"


def test_targets_reach_pool_members_and_pools_as_a_whole(tmp_path: Path) -> None:
    listed = MANIFEST.replace(
        "numbers: []", f'numbers:\n  - number: "{DESK}"\n    friendly_name: Desk'
    )
    (tmp_path / "numbers.yaml").write_text(MANIFEST, encoding="utf-8")
    with new_sandbox() as sandbox:
        assert apply(sandbox, tmp_path).code == 0
        first, second = sorted(owned_sids(sandbox))
        renamed = listed.replace('"Support {n}"', '"Desk {n}"').replace("count: 2", "count: 3")
        (tmp_path / "numbers.yaml").write_text(renamed, encoding="utf-8")
        member = exoplan(sandbox, tmp_path, "plan", "--target", first)
        assert member.code == 0, member.output
        assert f"~ update   {first}" in member.stdout and second not in member.stdout
        assert "pool blr" not in member.stdout and DESK not in member.stdout
        desk = exoplan(sandbox, tmp_path, "plan", "--target", DESK)
        assert f"+ purchase {DESK}" in desk.stdout and "pool blr" not in desk.stdout
        whole = exoplan(sandbox, tmp_path, "plan", "--refresh", "--target", "pool:blr", *FAST)
        assert whole.code == 0, whole.output
        assert "Partial plan: 2 of 3 numbers (--target pool:blr)" in whole.stdout
        assert first in whole.stdout and second in whole.stdout and DESK not in whole.stdout
        assert whole.stdout.count("+ purchase") == 1  # the pool's third member, pinned
        done = apply(sandbox, tmp_path, "--target", "pool:blr")
        assert done.code == 0, done.output
        assert DESK not in owned_sids(sandbox) and len(owned_sids(sandbox)) == 3
        names = {e["friendly_name"] for e in read_state(tmp_path)["numbers"].values()}
        assert names == {"Desk 1", "Desk 2", "Desk 3"}
