"""Every error exoplan raises on purpose, and what the command line does with it.

```
ExoplanError                 -> exit 1, "error: ..." lines, no traceback
├─ ManifestError             one or more Problems, each with a Location; raised once
├─ StateError                state unreadable, corrupt, locked; stale saved plan
├─ UnsafePlanError           release without --allow-release, protected number
├─ UsageError                a command used wrongly: missing credentials, bad flag value
└─ ApiError                  raised only in exotel/: status, Exotel's message, method+path
   ├─ ApiConnectionError     connection errors and timeouts (raised `from` requests' error)
   │  └─ ApiNotConnected     no connection was made (refused, unresolved, connect timeout):
   │                         nothing was sent, so nothing changed
   ├─ ApiStatusError         a non-2xx answer: Exotel refused, nothing changed
   ├─ ApiOutcomeUnknown      a change was sent, but whether it happened cannot be told
   └─ ApiNotSent             a change was not sent: the run is stopping
```
Anything else escaping a command is a bug: exit 3 with the traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file; line and column count from 1 (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, where it is and what to do."""

    location: Location
    message: str

    def __str__(self) -> str:
        # Names and keys from the file may hold anything: the CLI escapes what it prints.
        return f"{self.location}: {self.message}"


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis: values quoted in messages
    come from files and answers of any size."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ExoplanError(Exception):
    """A failure the user can act on; the CLI prints it and exits 1."""

    def lines(self) -> list[str]:
        """The lines to print, each prefixed by the CLI with nothing or 'error: '."""
        return [f"error: {self}"]


class ManifestError(ExoplanError):
    """The manifest has problems; all of them are collected and raised together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(
            problems, key=lambda p: (p.location.file, p.location.line, p.location.column)
        )
        super().__init__("; ".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        files = sorted({p.location.file for p in self.problems})
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        them = "it" if count == 1 else "them"
        summary = f"error: {count} {noun} in {', '.join(files)}; fix {them} and run again"
        return [str(p) for p in self.problems] + [summary]


class StateError(ExoplanError):
    """The state file cannot be used: unreadable, corrupt, locked, or a plan is stale."""


class UnsafePlanError(ExoplanError):
    """The plan would do something dangerous that was not allowed."""


class UsageError(ExoplanError):
    """A command was used wrongly: a missing variable, an impossible option value."""


class ApiError(ExoplanError):
    """Exotel's API could not do what was asked."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}".strip()
        status = f"HTTP {self.status}" if self.status is not None else ""
        code = f"[{self.code}]" if self.code else ""
        head = " ".join(part for part in (where, status, code) if part)
        return f"{head}: {self.message}" if head else self.message


class ApiConnectionError(ApiError):
    """No usable answer: the connection failed or timed out."""


class ApiNotConnected(ApiConnectionError):
    """No connection was made (refused, a name that does not resolve, a connect timeout):
    the request never left, so it changed nothing and may be sent again."""


class ApiStatusError(ApiError):
    """Exotel answered with a non-2xx status."""


class ApiOutcomeUnknown(ApiError):
    """A change was sent but its outcome is unknown: no answer, a 5xx, an answer that does
    not say. Never to be read as "nothing happened"."""


class ApiNotSent(ApiError):
    """The run is stopping (a signal, an authentication failure): the request was not sent."""
