"""Pools against a hostile Exotel (tests/support/hostile.py): an inventory that offers a
number the account already owns (another team's, not managed by exoplan), or one from
another country, and a purchase of a pinned number answered with 409. A pool never
takes over, re-points or adopts a number it did not buy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.hostile import ROOT, Hostile, Reply, Request, page
from tests.support.inprocess import exoplan
from tests.support.project import STATE, number, read_state
from tests.support.run import FAST, Result

MANIFEST = """\
version: 1
account: {sid: acme1, region: mumbai}
flows: {support-ivr: {app_id: 123456}}
numbers: []
pools:
  blr:
    count: 1
    country: IN
    type: Landline
    voice_flow: support-ivr
"""
#: Another team's live number: the account owns it, exoplan does not manage it.
THEIRS, FREE, ABROAD = number(21), number(22), "+14155550123"
THEIR_FLOW = "http://my.exotel.com/acme1/exoml/start_voice/999999"
SEARCH = ROOT.rsplit("/", 1)[0] + "/AvailablePhoneNumbers/IN/Landline"


def offer(phone: str) -> dict[str, Any]:
    return {"phone_number": phone, "number_type": "Landline", "rental_price": "499.000000"}


def theirs() -> dict[str, Any]:
    return {"sid": "SID21", "phone_number": THEIRS, "voice_url": THEIR_FLOW}


def run(server: Hostile, folder: Path, *args: str) -> Result:
    result = exoplan(None, folder, *args, *FAST, env=server.env())
    assert "Traceback" not in result.stderr
    return result


def test_a_pool_never_pins_an_owned_or_foreign_number(tmp_path: Path) -> None:
    (tmp_path / "numbers.yaml").write_text(MANIFEST, encoding="utf-8")

    def script(request: Request) -> Reply:
        if request.path == SEARCH:
            return Reply(body=[offer(THEIRS), offer(ABROAD), offer(FREE)])
        if request.method == "POST":
            return Reply(body={"sid": "SID22", "phone_number": request.form["PhoneNumber"]})
        return Reply(body=page([theirs()]))

    with Hostile(script) as server:
        planned = run(server, tmp_path, "plan", "--refresh")
        assert planned.code == 0, planned.output
        assert FREE in planned.stdout and THEIRS not in planned.stdout
        applied = run(server, tmp_path, "apply", "--auto-approve")
    assert applied.code == 0, applied.output
    assert [r.form["PhoneNumber"] for r in server.sent("POST")] == [FREE]
    assert not server.sent("PUT") and not server.sent("DELETE")
    assert list(read_state(tmp_path)["numbers"]) == [FREE]


def test_a_409_on_a_pinned_number_is_a_failure_never_an_adoption(tmp_path: Path) -> None:
    (tmp_path / "numbers.yaml").write_text(MANIFEST, encoding="utf-8")
    bought: list[str] = []

    def script(request: Request) -> Reply:
        if request.path == SEARCH:
            return Reply(body=[offer(THEIRS)])
        if request.method == "POST":  # another team bought it between plan and apply
            bought.append(request.form["PhoneNumber"])
            return Reply(409, {"RestException": {"Message": "ExoPhone already owned"}})
        return Reply(body=page([theirs()] if bought else []))

    with Hostile(script) as server:
        saved = run(server, tmp_path, "plan", "--refresh", "--out", "p.json")
        assert saved.code == 0, saved.output
        applied = run(server, tmp_path, "apply", "--auto-approve", "p.json")
    assert applied.code == 1
    assert "already owned" in applied.output and "pool blr" in applied.output
    assert "0 adopted" in applied.output and "the account already owned it" not in applied.output
    assert not server.sent("PUT") and not server.sent("DELETE")
    assert not (tmp_path / STATE).exists() or read_state(tmp_path)["numbers"] == {}
