"""Reading Exotel's answers: decoded bodies, Exotel's error message and code, pages.

Pure functions over an :class:`Answer` that the client has already taken from requests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

#: The variable that points exoplan at another API host (named in redirect hints).
URL_VARIABLE = "EXOTEL_API_URL"


class Answer(NamedTuple):
    """One HTTP answer with requests left behind; ``body`` is decoded JSON or None."""

    status: int
    headers: Mapping[str, str]
    body: Any
    text: str


def decode(content: bytes) -> Any:
    try:
        return json.loads(content) if content.strip() else None
    except ValueError:
        return None


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 200 else flat[:197] + "..."


def text(value: Any) -> str | None:
    ok = isinstance(value, (str, int)) and not isinstance(value, bool)
    return (str(value).strip() or None) if ok else None


def exotel_message(answer: Answer) -> tuple[str, str | None]:
    """Exotel's message and code: RestException, a top-level field, or the raw body."""
    body = answer.body if isinstance(answer.body, dict) else {}
    rest = body.get("RestException")
    if isinstance(rest, dict) and (text(rest.get("Message")) or text(rest.get("Code"))):
        return text(rest.get("Message")) or "no message", text(rest.get("Code"))
    for key in ("message", "Message", "error", "error_message", "detail"):
        value = body.get(key)
        found = text(value.get("message") if isinstance(value, dict) else value)
        if found:
            return found, text(body.get("code") or body.get("Code"))
    if 300 <= answer.status < 400:
        return f"unexpected redirect; check {URL_VARIABLE} and the account's region", None
    return snippet(answer.text) or "(empty body)", None


def identity(record: dict[str, Any]) -> str:
    return text(record.get("sid")) or json.dumps(record, sort_keys=True, default=str)


def page_size(body: Any, asked: int) -> int:
    size = body.get("page_size") if isinstance(body, dict) else None
    return size if isinstance(size, int) and size > 0 else asked


def has_next_page(body: Any, count: int, asked: int) -> bool:
    """Stop on an empty page or an empty next_page_uri; with no links, go on while full."""
    if count and isinstance(body, dict) and "next_page_uri" in body:
        return bool(body["next_page_uri"])
    return count > 0 and count >= page_size(body, asked)
