"""The exoplan GitHub Action's comment step: one plan comment per pull request.

The comment is found by the hidden marker exoplan's Markdown plan starts with and
edited in place on every push, so a pull request shows exactly one plan, the current
one. Pull requests from forks get a read-only token: they are skipped, as is any token
GitHub refuses (403), with a notice; the plan is in the job summary either way. Any
other failure fails the step, because an old comment left in place would look current.

Usage: ``python plan_comment.py PLAN.md``, with GITHUB_TOKEN, GITHUB_API_URL,
GITHUB_REPOSITORY, GITHUB_EVENT_NAME and GITHUB_EVENT_PATH set. Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from exoplan_step import workflow_command

MARKER = "<!-- exoplan-plan -->"
GITHUB_LIMIT = 65_536
PER_PAGE = 100
MAX_PAGES = 50  # 5,000 comments: a pull request with more is not looked through


class ApiError(Exception):
    """GitHub answered with an error, could not be reached, or answered off its host."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class GitHub:
    """The few REST calls this step needs, authenticated with the job's token."""

    def __init__(self, api_url: str, token: str, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            data=data,
            method=method,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "User-Agent": "exoplan-action",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise ApiError(f"{method} {path}: HTTP {exc.code} {_message(exc)}", exc.code) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ApiError(f"{method} {path}: {getattr(exc, 'reason', exc)}") from None


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        answer = json.loads(exc.read() or b"{}")
    except ValueError:
        return str(exc.reason)
    return str(answer.get("message", exc.reason)) if isinstance(answer, dict) else str(exc.reason)


def find_comment(github: GitHub, repo: str, number: int) -> int | None:
    """The id of this pull request's plan comment, preferring one a bot wrote."""
    found: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        path = f"/repos/{repo}/issues/{number}/comments?per_page={PER_PAGE}&page={page}"
        comments = github.call("GET", path)
        found += [c for c in comments if str(c.get("body") or "").startswith(MARKER)]
        if len(comments) < PER_PAGE:
            break
    found.sort(key=lambda c: (c.get("user") or {}).get("type") != "Bot")
    return int(found[0]["id"]) if found else None


def capped(body: str) -> str:
    if not body.startswith(MARKER):
        body = f"{MARKER}\n{body}"
    if len(body) <= GITHUB_LIMIT:
        return body
    note = "\n_Cut to fit a comment: the full plan is in the job summary._\n"
    return body[: GITHUB_LIMIT - len(note)] + note


def post(github: GitHub, repo: str, number: int, body: str) -> str:
    """Create or update the plan comment; says which."""
    existing = find_comment(github, repo, number)
    if existing is None:
        github.call("POST", f"/repos/{repo}/issues/{number}/comments", {"body": body})
        return f"Posted the plan on pull request #{number}."
    github.call("PATCH", f"/repos/{repo}/issues/comments/{existing}", {"body": body})
    return f"Updated the plan comment on pull request #{number}."


def pull_request(env: Mapping[str, str]) -> tuple[int, bool] | str:
    """(number, from a fork) of the event's pull request, or why there is none."""
    if env.get("GITHUB_EVENT_NAME") != "pull_request":
        return f"not a pull request ({env.get('GITHUB_EVENT_NAME') or 'no event'})"
    try:
        with open(env["GITHUB_EVENT_PATH"], encoding="utf-8") as handle:
            event = json.load(handle)
        pr = event["pull_request"]
        head = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
        return int(pr["number"]), head != env.get("GITHUB_REPOSITORY")
    except (KeyError, OSError, ValueError, TypeError, AttributeError) as exc:
        return f"the event payload names no pull request ({exc})"


def main(argv: list[str], env: Mapping[str, str] = os.environ) -> int:
    if len(argv) != 1:
        print("usage: plan_comment.py PLAN.md", file=sys.stderr)
        return 1
    where = pull_request(env)
    if isinstance(where, str):
        print(
            workflow_command("notice", f"No plan comment: {where}. The plan is in the job summary.")
        )
        return 0
    number, from_fork = where
    if from_fork:
        message = (
            "No plan comment: this pull request comes from a fork, whose token cannot "
            "write comments. The plan is in the job summary."
        )
        print(workflow_command("notice", message))
        return 0
    with open(argv[0], encoding="utf-8") as handle:
        body = capped(handle.read())
    github = GitHub(env.get("GITHUB_API_URL", "https://api.github.com"), env["GITHUB_TOKEN"])
    try:
        print(post(github, env["GITHUB_REPOSITORY"], number, body))
    except ApiError as exc:
        return refused(exc, "plan comment", "comments", "pull-requests", "plan", "post")
    return 0


def refused(exc: ApiError, what: str, writes: str, permission: str, report: str, verb: str) -> int:
    """The step's exit code when GitHub would not take ``what``: 403 is a warning (the
    token lacks ``permission``; ``report`` is in the job summary), anything else an error."""
    if exc.status == 403:
        message = (
            f"No {what}: the token may not write {writes} ({exc}). Give the job "
            f"`permissions: {permission}: write`. The {report} is in the job summary."
        )
        print(workflow_command("warning", message))
        return 0
    print(workflow_command("error", f"Could not {verb} the {what}: {exc}"))
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
