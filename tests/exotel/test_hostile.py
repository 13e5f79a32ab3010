"""exoplan against a hostile Exotel (tests/support/hostile.py): another number's record,
no sid, ``{}`` lists, endless pages, a dribbled body, escape sequences in every field and
absurd Retry-After. Each case: the exit code, what was sent, what the state holds, and
no control character in anything printed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.main import main
from reconciler.exotel import listing
from reconciler.state.journal import read_journal
from tests.support.hostile import ROOT, Hostile, Reply, Request, page, page_asked
from tests.support.project import (
    JOURNAL,
    STATE,
    number,
    read_state,
    snapshot,
    write_manifest,
    write_state,
)
from tests.support.run import FAST, Result, exoplan

PROTECTED, WANTED = number(12), number(13)
EVIL = "\x1b]0;owned\x07\x1b[2J\x9b31m\r\u202e"


def record(phone: str, sid: str, **fields: Any) -> dict[str, Any]:
    return {"sid": sid, "phone_number": phone, "friendly_name": "n", **fields}


def no_controls(result: Result) -> None:
    for text in (result.stdout, result.stderr):
        assert all(ch.isprintable() or ch == "\n" for ch in text), repr(text)
    assert "Traceback" not in result.stderr


def run(server: Hostile, folder: Path, *args: str, timeout: float = 60) -> Result:
    result = exoplan(None, folder, *args, env=server.env(), timeout=timeout)
    no_controls(result)
    return result


def protected_project(folder: Path) -> bytes:
    write_manifest(folder, [{"number": PROTECTED, "protect": True}, WANTED])
    return write_state(folder / STATE, {PROTECTED: {"sid": "SID12", "protect": True}})


def test_a_purchase_answered_with_another_numbers_record_is_not_recorded(tmp_path: Path) -> None:
    protected_project(tmp_path)

    def script(request: Request) -> Reply:
        if request.method == "POST":
            return Reply(body=record(PROTECTED, "SID12"))
        return Reply(body=page([record(PROTECTED, "SID12")]))

    with Hostile(script) as server:
        result = run(server, tmp_path, "apply", "--auto-approve", *FAST)
    assert result.code == 1
    assert "the record of another number" in result.output
    assert [r.form.get("PhoneNumber") for r in server.sent("POST")] == [WANTED]
    assert not server.sent("DELETE") and not server.sent("PUT")
    state = read_state(tmp_path)["numbers"]
    assert sorted(state) == [PROTECTED] and state[PROTECTED]["sid"] == "SID12"
    assert not (tmp_path / JOURNAL).exists()


def test_a_purchase_answer_without_a_sid_is_settled_by_listing(tmp_path: Path) -> None:
    protected_project(tmp_path)

    def script(request: Request) -> Reply:
        if request.method == "POST":
            return Reply(body={"phone_number": WANTED, "friendly_name": "no sid"})
        return Reply(body=page([record(PROTECTED, "SID12"), record(WANTED, "SID13")]))

    with Hostile(script) as server:
        result = run(server, tmp_path, "apply", "--auto-approve", *FAST)
    assert result.code == 0, result.output
    assert len(server.sent("POST")) == 1 and len(server.sent("GET")) == 1
    state = read_state(tmp_path)["numbers"]
    assert state[WANTED]["sid"] == "SID13" and state[PROTECTED]["sid"] == "SID12"


@pytest.mark.parametrize("body", [{}, {"incoming_phone_numbers": None}, [], "x", {"page": 0}])
def test_a_list_answer_without_its_array_never_means_owns_nothing(
    tmp_path: Path, body: Any
) -> None:
    protected_project(tmp_path)
    before = snapshot(tmp_path)
    with Hostile(lambda request: Reply(body=body)) as server:
        result = run(server, tmp_path, "refresh", *FAST)
    assert result.code == 1
    assert "not a page of numbers" in result.stderr
    assert {r.method for r in server.requests} == {"GET"}
    assert snapshot(tmp_path) == before


def test_pages_that_never_end_are_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    protected_project(tmp_path)
    before = snapshot(tmp_path)
    monkeypatch.setattr(listing, "MAX_PAGES", 25)
    count = iter(range(10**6))

    def script(request: Request) -> Reply:
        listed = [record(number(40), f"SID{next(count)}")]
        return Reply(body=page(listed, next_page=True, number=page_asked(request)))

    with Hostile(script) as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        code = main(["refresh", "-f", str(tmp_path / "numbers.yaml"), *FAST])
    err = capsys.readouterr().err
    assert code == 1 and "pages that never end (25 read" in err
    assert len(server.requests) == 25
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_a_dribbled_answer_is_cut_at_the_timeout_and_settled(tmp_path: Path) -> None:
    write_manifest(tmp_path, [WANTED])

    def script(request: Request) -> Reply:
        if request.method == "POST" and len(server.sent("POST")) == 1:
            return Reply(body=record(WANTED, "SID13"), dribble=1.0)  # 40+ s in all
        if request.method == "POST":
            return Reply(body=record(WANTED, "SID13"))
        return Reply(body=page([]))

    with Hostile(script) as server:
        result = run(server, tmp_path, "apply", "--auto-approve", *FAST, "--timeout", "1")
    assert result.code == 0, result.output
    assert len(server.sent("POST")) == 2  # looked first: not owned, so bought again
    assert read_state(tmp_path)["numbers"][WANTED]["sid"] == "SID13"


def test_escape_sequences_in_every_field_never_reach_the_terminal(tmp_path: Path) -> None:
    write_manifest(tmp_path, [{"number": WANTED, "friendly_name": "Desk"}])
    evil = {
        key: f"{key}{EVIL}"
        for key in ("friendly_name", "voice_url", "sms_url", "currency", "region", "country")
    }
    owned = [record(WANTED, f"SID{EVIL}", **evil, rental_price=f"4{EVIL}")]

    def script(request: Request) -> Reply:
        if request.method == "PUT":
            message = f"refused {EVIL}"
            return Reply(400, {"RestException": {"Message": message, "Code": EVIL}})
        return Reply(body=page(owned))

    with Hostile(script) as server:
        assert run(server, tmp_path, "import", WANTED, *FAST).code == 0
        assert run(server, tmp_path, "state", "list").code == 0
        assert run(server, tmp_path, "state", "show", WANTED).code == 0
        assert run(server, tmp_path, "plan", "--refresh", *FAST).code == 0
        assert run(server, tmp_path, "plan", "--format", "markdown").code == 0
        applied = run(server, tmp_path, "apply", "--auto-approve", *FAST, "-v")
    assert applied.code == 1 and "refused \\x1b]0;owned" in applied.output
    assert read_state(tmp_path)["numbers"][WANTED]["friendly_name"] == evil["friendly_name"]


@pytest.mark.parametrize("asked", ["1e308", "31536000", "inf", "Wed, 01 Jan 3000 00:00:00 GMT"])
def test_a_429_with_an_absurd_retry_after_fails_fast(tmp_path: Path, asked: str) -> None:
    protected_project(tmp_path)
    before = snapshot(tmp_path)
    with Hostile(lambda request: Reply(429, {}, {"Retry-After": asked})) as server:
        result = run(server, tmp_path, "refresh", *FAST, timeout=30)  # not the asked wait
    assert result.code == 1 and "HTTP 429" in result.stderr
    assert {r.path for r in server.requests} == {ROOT}
    assert snapshot(tmp_path) == before


def test_numbers_that_are_not_finite_in_answers_are_read_as_unknown(tmp_path: Path) -> None:
    # Python's json reads NaN, Infinity and 1e999 (which JSON does not have) as floats; a
    # journal that kept one would be refused by the next command. The second purchase
    # is never answered and the account cannot be listed, so the journal is kept.
    write_manifest(tmp_path, [WANTED, number(14)])
    odd = b', "capabilities": {"voice": NaN, "sms": Infinity}, "rental_price": 1e999}'

    def script(request: Request) -> Reply:
        if request.method == "POST" and request.form.get("PhoneNumber") == WANTED:
            return Reply(body=json.dumps(record(WANTED, "SID13")).encode()[:-1] + odd)
        return Reply(503, {})

    with Hostile(script) as server:
        result = run(server, tmp_path, "apply", "--auto-approve", *FAST, "--parallelism", "1")
    assert result.code == 1, result.output
    kept = (tmp_path / JOURNAL).read_text(encoding="utf-8")
    assert "SID13" in kept and not {"NaN", "Infinity"} & set(re.findall(r"\w+", kept))
    contents = read_journal(str(tmp_path / JOURNAL))
    assert contents is not None
    done = contents.done[0]["record"]
    assert done["capabilities"] == {"voice": None, "sms": None}
    assert done["rental_price"] is None
