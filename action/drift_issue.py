"""The exoplan GitHub Action's drift issue step: one open issue while drift persists.

A scheduled run of ``exoplan drift`` hands over its Markdown report and exit code:
- 2 (drift): the open drift issue is updated with the report, or one is opened;
- 0 (no drift): the open drift issue, if any, gets a comment and is closed;
- anything else (exoplan failed): the issue is left as it is; the run fails elsewhere.

The issue is found by the hidden marker the report starts with, among the repository's
open issues (every page, following GitHub's ``Link`` headers), but only among issues
the workflow's own account opened (``EXOPLAN_ISSUE_AUTHOR``, by default
``github-actions[bot]``, the author of everything the job's GITHUB_TOKEN writes).
Anyone may write the marker into an issue of their own; such an issue is never edited
or closed. A ``Link`` header that leads off the API host is refused, so the token
never travels anywhere else.

Usage: ``python drift_issue.py DRIFT.md``, with GITHUB_TOKEN, GITHUB_API_URL,
GITHUB_REPOSITORY and EXOPLAN_EXITCODE set (EXOPLAN_ISSUE_TITLE, EXOPLAN_ISSUE_AUTHOR,
GITHUB_SERVER_URL and GITHUB_RUN_ID optional). It uses requests, which the install step
brought in with exoplan.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import requests
from exoplan_step import workflow_command
from plan_comment import ApiError, refused

MARKER = "<!-- exoplan-drift -->"
GITHUB_LIMIT = 65_536  # characters in an issue body
PER_PAGE = 100
MAX_PAGES = 50  # 5,000 open issues: a repository with more is not looked through
DEFAULT_AUTHOR = "github-actions[bot]"
DEFAULT_TITLE = "exoplan: drift detected"


class GitHub:
    """The few REST calls this step needs, authenticated with the job's token."""

    def __init__(self, api_url: str, token: str, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "User-Agent": "exoplan-action",
                "X-GitHub-Api-Version": "2022-11-28",
            }
        )

    def call(self, method: str, url: str, body: dict[str, Any] | None = None) -> requests.Response:
        if not url.startswith(self.api_url + "/"):
            raise ApiError(f"refusing to send the token to {url}: not under {self.api_url}")
        try:
            response = self.session.request(method, url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ApiError(f"{method} {url}: {exc}") from None
        if response.status_code >= 400:
            raise ApiError(
                f"{method} {url}: HTTP {response.status_code} {_message(response)}",
                response.status_code,
            )
        return response

    def pages(self, path: str) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list, following ``Link: <...>; rel="next"``."""
        url: str | None = f"{self.api_url}{path}"
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self.call("GET", url)
            items = response.json()
            yield items if isinstance(items, list) else []
            url = response.links.get("next", {}).get("url")


def _message(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return response.reason or ""
    return str(answer.get("message", response.reason)) if isinstance(answer, dict) else ""


def find_issue(github: GitHub, repo: str, author: str) -> dict[str, Any] | None:
    """The oldest open issue ``author`` opened whose body starts with the marker."""
    found = [
        issue
        for page in github.pages(f"/repos/{repo}/issues?state=open&per_page={PER_PAGE}")
        for issue in page
        if _ours(issue, author)
    ]
    found.sort(key=lambda issue: int(issue["number"]))
    return found[0] if found else None


def _ours(issue: Any, author: str) -> bool:
    if not isinstance(issue, dict) or "pull_request" in issue:
        return False  # the issues list also holds pull requests
    login = (issue.get("user") or {}).get("login")
    return login == author and str(issue.get("body") or "").startswith(MARKER)


def issue_body(report: str, run_url: str) -> str:
    body = report if report.startswith(MARKER) else f"{MARKER}\n{report}"
    footer = f"\n\n<sub>Last checked by {run_url}</sub>\n" if run_url else ""
    if len(body) + len(footer) > GITHUB_LIMIT:
        note = "\n_Cut to fit an issue: the full report is in the job summary._\n"
        body = body[: GITHUB_LIMIT - len(footer) - len(note)] + note
    return body.rstrip("\n") + "\n" + footer


def keep_issue(github: GitHub, repo: str, code: int, body: str, env: Mapping[str, str]) -> str:
    """Open, update or close the drift issue as ``code`` says; returns what it did."""
    author = env.get("EXOPLAN_ISSUE_AUTHOR", "").strip() or DEFAULT_AUTHOR
    issue = find_issue(github, repo, author)
    base = f"{github.api_url}/repos/{repo}/issues"
    if code == 2 and issue is None:
        title = env.get("EXOPLAN_ISSUE_TITLE", "").strip() or DEFAULT_TITLE
        opened = github.call("POST", base, {"title": title, "body": body}).json()
        return f"Opened drift issue #{opened.get('number')}."
    if code == 2 and issue is not None:
        github.call("PATCH", f"{base}/{issue['number']}", {"body": body})
        return f"Updated drift issue #{issue['number']}."
    if issue is None:
        return "No drift, and no drift issue open."
    run = _run_url(env)
    note = "Drift is gone: the account matches the state again" + (f" ({run})." if run else ".")
    github.call("POST", f"{base}/{issue['number']}/comments", {"body": note})
    github.call(
        "PATCH", f"{base}/{issue['number']}", {"state": "closed", "state_reason": "completed"}
    )
    return f"Closed drift issue #{issue['number']}: drift is gone."


def _run_url(env: Mapping[str, str]) -> str:
    parts = [env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else ""


def main(argv: list[str], env: Mapping[str, str] = os.environ) -> int:
    if len(argv) != 1:
        print("usage: drift_issue.py DRIFT.md", file=sys.stderr)
        return 1
    given = env.get("EXOPLAN_EXITCODE", "").strip()
    code = int(given) if given.isdigit() and len(given) < 4 else -1
    if code not in (0, 2):
        message = f"Drift issue left as it is: exoplan drift failed (exit code {given or '?'})."
        print(workflow_command("notice", message))
        return 0
    with open(argv[0], encoding="utf-8") as handle:
        body = issue_body(handle.read(), _run_url(env))
    github = GitHub(env.get("GITHUB_API_URL", "https://api.github.com"), env["GITHUB_TOKEN"])
    try:
        print(keep_issue(github, env["GITHUB_REPOSITORY"], code, body, env))
    except ApiError as exc:
        return refused(exc, "drift issue", "issues", "issues", "report", "keep")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
