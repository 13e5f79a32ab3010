"""action/drift_issue.py against a stand-in of GitHub's REST API (``responses``).

One drift issue, found by the marker among the open issues the workflow's own bot
opened, on any page (``Link`` headers): opened on drift, updated while drift persists,
closed when drift is gone, left alone when exoplan failed. A marker someone else writes
into an issue is never trusted; a ``Link`` off the API host never gets the token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from tests.support.action import drift_issue

API = "https://api.github.example"
REPOSITORY = "acme/phones"
TOKEN = "ghs_test_token"
BOT = "github-actions[bot]"
MARKER = "<!-- exoplan-drift -->"
REPORT = f"{MARKER}\n### exoplan drift\n\nDrift: 1 managed number(s) changed.\n"
ISSUES = f"{API}/repos/{REPOSITORY}/issues"


class FakeGitHub:
    """The open issues of one repository, served in pages of ``page_size`` with Link
    headers as GitHub writes them, and every write made."""

    def __init__(self, page_size: int = 2) -> None:
        self.issues: list[dict[str, Any]] = []
        self.comments: list[tuple[int, str]] = []
        self.page_size = page_size
        self.next_number = 100
        self.fail_writes = 0

    def add(self, body: str, login: str = BOT, **extra: Any) -> int:
        self.next_number += 1
        user = {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"}
        issue = {"number": self.next_number, "body": body, "user": user, "state": "open"}
        self.issues.append({**issue, **extra})
        return self.next_number

    def open_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.issues if i["state"] == "open"]

    def by_number(self, number: int) -> dict[str, Any]:
        (issue,) = [i for i in self.issues if i["number"] == number]
        return issue

    # -- the handlers -------------------------------------------------------------------

    def listing(self, request: Any) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        assert query["state"] == ["open"]
        page = int(query.get("page", ["1"])[0])
        items = self.open_issues()
        last = max(1, -(-len(items) // self.page_size))
        shown = items[(page - 1) * self.page_size : page * self.page_size]
        links = [
            f'<{ISSUES}?state=open&per_page=100&page={n}>; rel="{rel}"'
            for n, rel in ((page + 1, "next"), (last, "last"))
            if page < last
        ]
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, headers, json.dumps(shown)

    def create(self, request: Any) -> tuple[int, dict[str, str], str]:
        if self.fail_writes:
            return self.fail_writes, {}, json.dumps({"message": "Resource not accessible"})
        body = json.loads(request.body)
        number = self.add(body["body"], BOT, title=body["title"])
        return 201, {}, json.dumps(self.by_number(number))

    def edit(self, request: Any) -> tuple[int, dict[str, str], str]:
        number = int(urlsplit(request.url).path.rsplit("/", 1)[1])
        self.by_number(number).update(json.loads(request.body))
        return 200, {}, json.dumps(self.by_number(number))

    def comment(self, request: Any) -> tuple[int, dict[str, str], str]:
        number = int(urlsplit(request.url).path.split("/")[-2])
        self.comments.append((number, json.loads(request.body)["body"]))
        return 201, {}, json.dumps({"id": 1})


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, responses.RequestsMock]]:
    fake = FakeGitHub()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(re.escape(ISSUES) + r"\?.*"), fake.listing)
        mock.add_callback(responses.POST, ISSUES, fake.create)
        mock.add_callback(responses.PATCH, re.compile(re.escape(ISSUES) + r"/\d+"), fake.edit)
        mock.add_callback(
            responses.POST, re.compile(re.escape(ISSUES) + r"/\d+/comments"), fake.comment
        )
        yield fake, mock


def run(tmp_path: Path, code: int | str, report: str = REPORT, **extra: str) -> int:
    path = tmp_path / "drift.md"
    path.write_text(report, encoding="utf-8")
    env = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": API,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
        "EXOPLAN_EXITCODE": str(code),
        **extra,
    }
    return drift_issue.main([str(path)], env)


def writes(mock: responses.RequestsMock) -> list[str]:
    return [
        f"{c.request.method} {urlsplit(c.request.url).path}"
        for c in mock.calls
        if c.request.method != "GET"
    ]


def test_drift_opens_one_issue_with_the_report(
    github: tuple[FakeGitHub, responses.RequestsMock], tmp_path: Path
) -> None:
    fake, mock = github
    assert run(tmp_path, 2, EXOPLAN_ISSUE_TITLE="Numbers drifted") == 0
    (issue,) = fake.open_issues()
    assert issue["title"] == "Numbers drifted"
    assert issue["body"].startswith(REPORT.rstrip("\n"))
    assert "https://github.example/acme/phones/actions/runs/42" in issue["body"]
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in mock.calls)


def test_drift_again_updates_the_bots_issue_found_on_a_later_page(
    github: tuple[FakeGitHub, responses.RequestsMock], tmp_path: Path
) -> None:
    fake, mock = github
    for n in range(4):
        fake.add(f"unrelated {n}", login="someone")
    ours = fake.add(f"{MARKER}\nold report")
    assert run(tmp_path, 2) == 0
    assert fake.by_number(ours)["body"].startswith(REPORT.rstrip("\n"))
    assert writes(mock) == [f"PATCH /repos/{REPOSITORY}/issues/{ours}"]
    pages = [parse_qs(urlsplit(c.request.url).query).get("page", ["1"]) for c in mock.calls[:-1]]
    assert pages == [["1"], ["2"], ["3"]]  # followed Link rel="next" to the end


def test_a_marker_someone_else_wrote_is_never_trusted(
    github: tuple[FakeGitHub, responses.RequestsMock], tmp_path: Path
) -> None:
    fake, mock = github
    planted = fake.add(f"{MARKER}\nplease close me", login="mallory")
    pr = fake.add(f"{MARKER}\na pull request", pull_request={"url": "x"})
    assert run(tmp_path, 2) == 0  # drift: a new issue of our own, theirs untouched
    assert run(tmp_path, 0) == 0  # gone: ours closed, theirs still untouched
    assert fake.by_number(planted)["body"] == f"{MARKER}\nplease close me"
    assert fake.by_number(planted)["state"] == fake.by_number(pr)["state"] == "open"
    assert writes(mock) == [
        f"POST /repos/{REPOSITORY}/issues",
        f"POST /repos/{REPOSITORY}/issues/{pr + 1}/comments",
        f"PATCH /repos/{REPOSITORY}/issues/{pr + 1}",
    ]


def test_no_drift_closes_the_issue_with_a_comment(
    github: tuple[FakeGitHub, responses.RequestsMock], tmp_path: Path
) -> None:
    fake, _ = github
    ours = fake.add(f"{MARKER}\nold report")
    assert run(tmp_path, 0) == 0
    assert fake.by_number(ours)["state"] == "closed"
    assert fake.by_number(ours)["state_reason"] == "completed"
    (comment,) = fake.comments
    assert comment[0] == ours and comment[1].startswith("Drift is gone")


def test_no_drift_and_no_issue_writes_nothing(
    github: tuple[FakeGitHub, responses.RequestsMock], tmp_path: Path
) -> None:
    _, mock = github
    assert run(tmp_path, 0) == 0
    assert writes(mock) == []


@pytest.mark.parametrize("code", [1, 3, 130, "", "x"])
def test_a_failed_drift_leaves_the_issue_alone(
    github: tuple[FakeGitHub, responses.RequestsMock],
    tmp_path: Path,
    code: int | str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, mock = github
    fake.add(f"{MARKER}\nold report")
    assert run(tmp_path, code) == 0
    assert len(mock.calls) == 0  # not even a listing
    assert "::notice::Drift issue left as it is" in capsys.readouterr().out


def test_a_token_that_may_not_write_issues_is_a_warning(
    github: tuple[FakeGitHub, responses.RequestsMock],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, _ = github
    fake.fail_writes = 403
    assert run(tmp_path, 2) == 0
    assert "issues: write" in capsys.readouterr().out


def test_a_link_off_the_api_host_never_gets_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with responses.RequestsMock() as mock:
        evil = "https://evil.example/steal?page=2"
        mock.add(
            responses.GET,
            re.compile(re.escape(ISSUES) + r"\?.*"),
            json=[],
            headers={"Link": f'<{evil}>; rel="next"'},
        )
        assert run(tmp_path, 2) == 1
        assert [urlsplit(c.request.url).netloc for c in mock.calls] == ["api.github.example"]
    assert "refusing to send the token" in capsys.readouterr().out


def test_an_unreachable_api_fails_the_step(tmp_path: Path) -> None:
    with responses.RequestsMock() as mock:
        mock.add(
            responses.GET,
            re.compile(re.escape(ISSUES) + r"\?.*"),
            body=requests.ConnectionError("no route"),
        )
        assert run(tmp_path, 2) == 1


def test_a_huge_report_is_cut_to_fit_an_issue() -> None:
    body = drift_issue.issue_body(MARKER + "\n" + "x" * 70_000, "https://github.example/run")
    assert len(body) <= drift_issue.GITHUB_LIMIT
    assert body.startswith(MARKER) and "Cut to fit" in body and body.rstrip().endswith("</sub>")
