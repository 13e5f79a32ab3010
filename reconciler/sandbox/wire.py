"""What the sandbox's HTTP layer hands its API and takes back: one request, one reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """The parts of an HTTP request the API looks at."""

    method: str
    path: str
    query: str
    authorization: str
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Reply:
    """A JSON answer: status, body and extra headers."""

    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
