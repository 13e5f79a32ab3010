"""action/plan_comment.py against a stand-in of GitHub's REST API on 127.0.0.1.

One plan comment per pull request, found by exoplan's marker and edited in place;
forks and read-only tokens are skipped with a notice; other failures fail the step.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.action import plan_comment

MARKER = "<!-- exoplan-plan -->"
REPOSITORY = "acme/phones"
TOKEN = "ghs_test_token"


class FakeGitHub:
    """Issue comments of one repository, and every request made."""

    def __init__(self) -> None:
        self.comments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, Any]] = []
        self.fail_writes: int = 0  # answer POST and PATCH with this status
        self.next_id = 1000

    def add(self, body: str, user_type: str = "User") -> int:
        self.next_id += 1
        self.comments.append({"id": self.next_id, "body": body, "user": {"type": user_type}})
        return self.next_id

    def handle(self, method: str, url: str, body: Any, auth: str) -> tuple[int, Any]:
        self.requests.append((method, url, body))
        if auth != f"Bearer {TOKEN}":
            return 401, {"message": "Bad credentials"}
        parts = urlsplit(url)
        if method in ("POST", "PATCH") and self.fail_writes:
            return self.fail_writes, {"message": "Resource not accessible by integration"}
        if method == "GET" and parts.path == f"/repos/{REPOSITORY}/issues/7/comments":
            query = parse_qs(parts.query)
            size, page = int(query["per_page"][0]), int(query["page"][0])
            return 200, self.comments[(page - 1) * size : page * size]
        if method == "POST" and parts.path == f"/repos/{REPOSITORY}/issues/7/comments":
            return 201, {"id": self.add(body["body"], "Bot")}
        if method == "PATCH" and parts.path.startswith(f"/repos/{REPOSITORY}/issues/comments/"):
            wanted = int(parts.path.rsplit("/", 1)[1])
            for comment in self.comments:
                if comment["id"] == wanted:
                    comment["body"] = body["body"]
                    return 200, comment
        return 404, {"message": "Not Found"}

    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] != "GET"]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours proxy variables; the stand-in is on 127.0.0.1, never behind one."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, answer = fake.handle(
                self.command, self.path, body, self.headers.get("Authorization", "")
            )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def environment(tmp_path: Path, api: str, head: str = REPOSITORY, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    payload = {"pull_request": {"number": 7, "head": {"repo": {"full_name": head}}}}
    event.write_text(json.dumps(payload), encoding="utf-8")
    return {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": api,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        **extra,
    }


def plan_file(tmp_path: Path, text: str = f"{MARKER}\n### exoplan plan\n") -> str:
    path = tmp_path / "plan.md"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_first_plan_is_posted(
    tmp_path: Path, github: tuple[FakeGitHub, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, api = github
    assert plan_comment.main([plan_file(tmp_path)], environment(tmp_path, api)) == 0
    assert fake.writes() == [
        (
            "POST",
            f"/repos/{REPOSITORY}/issues/7/comments",
            {"body": f"{MARKER}\n### exoplan plan\n"},
        )
    ]
    assert capsys.readouterr().out == "Posted the plan on pull request #7.\n"


def test_a_later_plan_updates_the_one_comment_found_by_the_marker(
    tmp_path: Path, github: tuple[FakeGitHub, str]
) -> None:
    fake, api = github
    for index in range(150):  # the plan comment is on the second page
        fake.add(f"review comment {index} mentioning {MARKER} in passing")
    mine = fake.add(f"{MARKER}\nold plan", "Bot")
    fake.add("LGTM")
    env = environment(tmp_path, api)
    assert plan_comment.main([plan_file(tmp_path, f"{MARKER}\nnew plan")], env) == 0
    assert fake.writes() == [
        ("PATCH", f"/repos/{REPOSITORY}/issues/comments/{mine}", {"body": f"{MARKER}\nnew plan"})
    ]
    assert [c["body"] for c in fake.comments].count(f"{MARKER}\nnew plan") == 1


def test_a_bots_plan_comment_is_preferred_to_a_persons(
    tmp_path: Path, github: tuple[FakeGitHub, str]
) -> None:
    fake, api = github
    fake.add(f"{MARKER}\npasted by hand")
    bot = fake.add(f"{MARKER}\nold plan", "Bot")
    plan_comment.main([plan_file(tmp_path)], environment(tmp_path, api))
    assert [r[1] for r in fake.writes()] == [f"/repos/{REPOSITORY}/issues/comments/{bot}"]


def test_a_body_without_the_marker_gets_it(tmp_path: Path, github: tuple[FakeGitHub, str]) -> None:
    fake, api = github
    plan_comment.main([plan_file(tmp_path, "plain text")], environment(tmp_path, api))
    assert fake.comments[0]["body"] == f"{MARKER}\nplain text"


def test_a_body_over_githubs_limit_is_cut(tmp_path: Path, github: tuple[FakeGitHub, str]) -> None:
    fake, api = github
    plan_comment.main([plan_file(tmp_path, MARKER + "x" * 70_000)], environment(tmp_path, api))
    body = fake.comments[0]["body"]
    assert len(body) <= 65_536
    assert body.endswith("_Cut to fit a comment: the full plan is in the job summary._\n")


def test_a_fork_is_skipped_with_a_notice(
    tmp_path: Path, github: tuple[FakeGitHub, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, api = github
    env = environment(tmp_path, api, head="someone/phones")
    assert plan_comment.main([plan_file(tmp_path)], env) == 0
    assert fake.requests == []
    out = capsys.readouterr().out
    assert out.startswith("::notice::No plan comment: this pull request comes from a fork")
    assert "The plan is in the job summary." in out


@pytest.mark.parametrize("event", ["push", "workflow_dispatch", ""])
def test_other_events_are_skipped_with_a_notice(
    tmp_path: Path, github: tuple[FakeGitHub, str], capsys: pytest.CaptureFixture[str], event: str
) -> None:
    fake, api = github
    env = environment(tmp_path, api, GITHUB_EVENT_NAME=event)
    assert plan_comment.main([plan_file(tmp_path)], env) == 0
    assert fake.requests == []
    assert capsys.readouterr().out.startswith("::notice::No plan comment: not a pull request")


def test_a_read_only_token_is_a_warning_not_a_failure(
    tmp_path: Path, github: tuple[FakeGitHub, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, api = github
    fake.fail_writes = 403
    assert plan_comment.main([plan_file(tmp_path)], environment(tmp_path, api)) == 0
    out = capsys.readouterr().out
    assert out.startswith("::warning::No plan comment: the token may not write comments (")
    assert "HTTP 403 Resource not accessible by integration" in out
    assert "`permissions: pull-requests: write`" in out
    assert TOKEN not in out


@pytest.mark.parametrize("status", [404, 422, 500])
def test_other_failures_fail_the_step_so_no_stale_plan_looks_current(
    tmp_path: Path, github: tuple[FakeGitHub, str], capsys: pytest.CaptureFixture[str], status: int
) -> None:
    fake, api = github
    fake.add(f"{MARKER}\nold plan", "Bot")
    fake.fail_writes = status
    assert plan_comment.main([plan_file(tmp_path)], environment(tmp_path, api)) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"::error::Could not post the plan comment: PATCH /repos/{REPOSITORY}")
    assert f"HTTP {status}" in out and TOKEN not in out


def test_an_unreachable_api_fails_the_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = environment(tmp_path, "http://127.0.0.1:9")  # discard port: nothing listens
    assert plan_comment.main([plan_file(tmp_path)], env) == 1
    assert capsys.readouterr().out.startswith("::error::Could not post the plan comment: GET ")


def test_a_payload_without_a_pull_request_is_a_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = environment(tmp_path, "http://127.0.0.1:9")
    Path(env["GITHUB_EVENT_PATH"]).write_text("{}", encoding="utf-8")
    assert plan_comment.main([plan_file(tmp_path)], env) == 0
    assert "the event payload names no pull request" in capsys.readouterr().out
