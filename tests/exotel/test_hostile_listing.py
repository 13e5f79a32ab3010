"""exoplan against a hostile Exotel's listings (tests/support/hostile.py): empty pages
that still link onward, links that loop, pages without end, and records exoplan cannot
read. A listing that is not complete and readable never drops a managed number: every
command that lists the account follows the pages or refuses, with the state unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.exotel import listing
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

PROTECTED, OTHER = number(12), number(13)
#: Every command that lists the account (refresh and import then write the state).
LISTING_COMMANDS = [
    ("refresh",),
    ("import", "--all"),
    ("plan", "--refresh"),
    ("drift",),
]


def record(phone: Any, sid: Any) -> dict[str, Any]:
    return {"sid": sid, "phone_number": phone, "friendly_name": "n"}


def project(folder: Path) -> bytes:
    write_manifest(folder, [{"number": PROTECTED, "protect": True}])
    return write_state(folder / STATE, {PROTECTED: {"sid": "SID12", "protect": True}})


def run(server: Hostile, folder: Path, *args: str) -> Result:
    result = exoplan(None, folder, *args, *FAST, env=server.env(), timeout=60)
    assert "Traceback" not in result.stderr
    return result


def test_refresh_follows_empty_pages_that_link_to_a_next_one(tmp_path: Path) -> None:
    project(tmp_path)

    def script(request: Request) -> Reply:
        asked = page_asked(request)
        if asked < 3:
            return Reply(body=page([], next_page=True, number=asked))
        return Reply(body=page([record(PROTECTED, "SID12")], number=asked))

    with Hostile(script) as server:
        result = run(server, tmp_path, "refresh")
    assert result.code == 0, result.output
    assert "no longer owned" not in result.output
    assert [page_asked(r) for r in server.requests] == [0, 1, 2, 3]
    assert read_state(tmp_path)["numbers"][PROTECTED]["sid"] == "SID12"


@pytest.mark.parametrize("command", LISTING_COMMANDS, ids=" ".join)
def test_links_that_loop_are_refused(tmp_path: Path, command: tuple[str, ...]) -> None:
    project(tmp_path)
    before = snapshot(tmp_path)

    def script(request: Request) -> Reply:
        # Every page links to page 1: a server that never gets further.
        return Reply(body=page([], next_page=True, number=0))

    with Hostile(script) as server:
        result = run(server, tmp_path, *command)
    assert result.code == 1
    assert "loop" in result.stderr and "?Page=1" in result.stderr
    assert len(server.requests) == 2
    assert {r.method for r in server.requests} == {"GET"}
    assert snapshot(tmp_path) == before


def test_too_many_empty_pages_are_refused(tmp_path: Path) -> None:
    project(tmp_path)
    before = snapshot(tmp_path)

    def script(request: Request) -> Reply:
        return Reply(body=page([], next_page=True, number=page_asked(request)))

    with Hostile(script) as server:
        result = run(server, tmp_path, "refresh")
    assert result.code == 1
    assert f"{listing.MAX_EMPTY_PAGES} empty pages in a row" in result.stderr
    assert len(server.requests) == listing.MAX_EMPTY_PAGES
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("unreadable", "named"),
    [
        (record("garbage", "SID99"), "phone_number 'garbage'"),
        (record(OTHER, 5), "sid 5"),
        (record(12345, "SID99"), "phone_number 12345"),
        (record(None, "SID99"), "phone_number None"),
        (record(OTHER, ""), "sid ''"),
        ({"phone_number": OTHER}, "sid None"),
    ],
    ids=["garbage-number", "int-sid", "int-number", "no-number", "empty-sid", "no-sid"],
)
@pytest.mark.parametrize("command", LISTING_COMMANDS, ids=" ".join)
def test_a_record_that_cannot_be_read_refuses_the_listing(
    tmp_path: Path, command: tuple[str, ...], unreadable: dict[str, Any], named: str
) -> None:
    project(tmp_path)
    before = snapshot(tmp_path)
    listed = [record(PROTECTED, "SID12"), unreadable]
    with Hostile(lambda request: Reply(body=page(listed))) as server:
        result = run(server, tmp_path, *command)
    assert result.code == 1, result.output
    assert "cannot read" in result.stderr and named in result.stderr, result.stderr
    assert "no longer owned" not in result.output
    assert {r.method for r in server.requests} == {"GET"}
    assert {r.path for r in server.requests} == {ROOT}
    assert snapshot(tmp_path) == before


def test_a_purchase_in_doubt_is_never_bought_again_on_an_unreadable_listing(
    tmp_path: Path,
) -> None:
    write_manifest(tmp_path, [OTHER])

    def script(request: Request) -> Reply:
        if request.method == "POST":
            return Reply(503, {"message": "try later"})  # bought or not: unknown
        return Reply(body=page([record(OTHER, 5)]))  # bought, but its sid cannot be read

    with Hostile(script) as server:
        applied = run(server, tmp_path, "apply", "--auto-approve")
        assert applied.code == 1
        assert "cannot read" in applied.output and "sid 5" in applied.output
        assert len(server.sent("POST")) == 1  # never sent again on a listing it cannot read
        assert (tmp_path / JOURNAL).exists()  # still in doubt: the next command settles it
        again = run(server, tmp_path, "refresh")
    assert again.code == 1 and "cannot read" in again.stderr
    assert len(server.sent("POST")) == 1
    assert (tmp_path / JOURNAL).exists()
