"""The options of each library call: frozen dataclasses, every default in one place.

The command line builds them from its flags; a program builds them directly. Nothing
here reads the environment: ``state`` is where the state lives when given (a path or
a PostgreSQL URL), else the manifest's ``state.url``, else the file beside the manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from reconciler.errors import ExoplanError
from reconciler.exotel.factory import ApiOptions, ClientFactory

__all__ = [
    "DEFAULT_MANIFEST",
    "ApiOptions",
    "ApplyOptions",
    "DriftOptions",
    "ExportOptions",
    "ImportOptions",
    "PlanOptions",
    "RefreshOptions",
    "Report",
]

#: The manifest a command reads when none is named.
DEFAULT_MANIFEST = "numbers.yaml"

#: A callback for a line of progress, advice or warning (the library prints nothing).
Report = Callable[[str], None]


#: Wraps each read of an account (its factory given): to show what the reads wait for.
Watch = Callable[[ClientFactory], AbstractContextManager[None]]


def unwatched(factory: ClientFactory) -> AbstractContextManager[None]:
    """The default watch: nothing."""
    return nullcontext()


def silent(message: str) -> None:
    """The default report: say nothing."""


def raise_error(error: ExoplanError) -> None:
    """The default for an account drift could not list: stop with its error."""
    raise error


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """``plan``: the manifest, its state, whether to read the account first
    (``refresh``), which numbers (``targets``, ``excludes``, any spelling, or
    ``pool:NAME``) and the budget (``max_monthly_increase``, a decimal string).
    ``several``: the manifest is one of several (targets it does not know are another's);
    pools never pick a number in ``taken`` (another manifest's of the same account)."""

    manifest: str = DEFAULT_MANIFEST
    state: str | None = None
    refresh: bool = False
    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    max_monthly_increase: str | None = None
    api: ApiOptions = field(default_factory=ApiOptions)
    several: bool = False
    taken: frozenset[str] = frozenset()
    #: Numbers to release though they were called within ``releases.min_idle_days``.
    ignore_usage: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """``apply``: a saved plan (``planfile``) or the manifest's plan made now, and what
    is allowed; ``lock_timeout`` is how long to wait for another holder of the lock.
    ``manifest`` None is the saved plan's own manifest, else ``numbers.yaml``; a saved
    plan is refused when its manifest changed since."""

    manifest: str | None = None
    planfile: str | None = None
    state: str | None = None
    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    max_monthly_increase: str | None = None
    allow_release: bool = False
    allow_mass_change: bool = False
    lock_timeout: float = 0.0
    api: ApiOptions = field(default_factory=ApiOptions)
    several: bool = False
    taken: frozenset[str] = frozenset()
    #: Numbers to release though they were called within ``releases.min_idle_days``.
    ignore_usage: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RefreshOptions:
    """``refresh``: the manifest, its state, the lock's wait and the API's options."""

    manifest: str = DEFAULT_MANIFEST
    state: str | None = None
    lock_timeout: float = 0.0
    api: ApiOptions = field(default_factory=ApiOptions)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """``import``: ``numbers`` to adopt (any spelling), or ``all`` the manifest lists."""

    manifest: str = DEFAULT_MANIFEST
    numbers: tuple[str, ...] = ()
    all: bool = False
    state: str | None = None
    lock_timeout: float = 0.0
    api: ApiOptions = field(default_factory=ApiOptions)


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """``export``: the account (``account_sid`` and ``region``), else the one the
    ``manifest`` names."""

    manifest: str = DEFAULT_MANIFEST
    account_sid: str | None = None
    region: str = "singapore"
    api: ApiOptions = field(default_factory=ApiOptions)


@dataclass(frozen=True, slots=True)
class DriftOptions:
    """``drift``: the manifests, each with its own state: ``states`` gives each one's in
    order (None: its manifest's ``state.url``, else the file beside it); ``state``
    names the one state of a single manifest."""

    manifests: tuple[str, ...] = (DEFAULT_MANIFEST,)
    state: str | None = None
    states: tuple[str | None, ...] = ()
    api: ApiOptions = field(default_factory=ApiOptions)
