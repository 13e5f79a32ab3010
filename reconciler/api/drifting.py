"""``drift``: what changed outside exoplan, read-only.

Reads each manifest and its state (no lock: nothing is written), lists each account
once, and reports managed numbers changed or gone and owned numbers that none of the
manifests of that account manages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reconciler.api.inputs import read_inputs
from reconciler.api.options import DriftOptions, Report, Watch, raise_error, silent, unwatched
from reconciler.errors import ExoplanError, UsageError
from reconciler.exotel.factory import ApiOptions, ClientFactory
from reconciler.model import Manifest, State
from reconciler.plan import drift as drifts
from reconciler.plan import safety
from reconciler.records import Owned
from reconciler.reports import DriftReport

Pair = tuple[Manifest, State]
#: Hears the error of an account that could not be listed (the others are still checked).
OnError = Callable[[ExoplanError], None]


def drift(
    options: DriftOptions,
    warn: Report = silent,
    on_error: OnError = raise_error,
    watch: Watch = unwatched,
) -> DriftReport:
    """The drift of ``options.manifests`` (each with its own state), each account listed
    once. An account that cannot be listed goes to ``on_error`` (by default raised);
    when it returns, the report says that account failed."""
    if len(options.manifests) > 1 and options.state:
        raise UsageError("--state names one state: with several manifests, leave it out")
    states = options.states or (options.state,) * len(options.manifests)
    pairs = [
        _read(path, state, warn) for path, state in zip(options.manifests, states, strict=True)
    ]
    return drifts.report(pairs, _listings(options.api, pairs, on_error, watch))


def _read(path: str, state: str | None, warn: Report) -> Pair:
    """A manifest and its state, read without a lock; an error in either stops the
    run (a missing state would turn its numbers into "unmanaged" ones)."""
    manifest, reading = read_inputs(path, state, warn)
    safety.check_account(manifest, reading.state)
    return manifest, reading.state


def _listings(
    api: ApiOptions, pairs: Sequence[Pair], on_error: OnError, watch: Watch
) -> dict[drifts.AccountKey, Owned | str]:
    """What each account owns (one listing per account), or why it could not be read."""
    listings: dict[drifts.AccountKey, Owned | str] = {}
    for manifest, _ in pairs:
        key = drifts.account_key(manifest)
        if key in listings:
            continue
        try:
            with ClientFactory.for_account(api, manifest) as factory, watch(factory):
                listings[key] = factory.client().owned_index()
        except ExoplanError as exc:
            on_error(exc)
            listings[key] = str(exc)
    return listings
