"""What several calls read first: where a manifest's state lives, and that state read
without a lock (nothing written), with a warning when an interrupted apply left its
journal."""

from __future__ import annotations

from reconciler.api.options import Report
from reconciler.manifest.load import load_manifest
from reconciler.model import Manifest
from reconciler.state.backends import open_store
from reconciler.state.file import default_state_path
from reconciler.state.store import Reading, Store


def state_choice(manifest: Manifest, given: str | None) -> tuple[str, bool]:
    """Where ``manifest``'s state lives, first match wins: ``given`` (a path or a URL),
    the manifest's ``state.url``, the default file beside the manifest; and whether the
    manifest chose it (then no password of the environment goes there: a pull request
    can change a manifest, never what the caller gives)."""
    if given:
        return given, False
    if manifest.state_url:
        return manifest.state_url, True
    return default_state_path(manifest.path), False


def open_state(manifest: Manifest, given: str | None) -> Store:
    """The store :func:`state_choice` names, trusted with the environment's database
    password only when the manifest did not choose it."""
    location, by_manifest = state_choice(manifest, given)
    return open_store(location, environment_credentials=not by_manifest)


def read_inputs(
    path: str, state: str | None, warn: Report, manifest: Manifest | None = None
) -> tuple[Manifest, Reading]:
    """The manifest at ``path`` (unless loaded already) and a read of its state's store:
    no lock, nothing written; ``warn`` hears of a journal an interrupted apply left."""
    manifest = manifest or load_manifest(path)
    reading = open_state(manifest, state).read()
    if reading.journal_left:
        warn(journal_warning(reading.journal_where))
    return manifest, reading


def journal_warning(where: str) -> str:
    """A journal left by a crashed apply means the state may miss numbers it bought."""
    return (
        f"{where} is left from an interrupted apply; the plan may show numbers that "
        "were already bought. Run `exoplan apply` to settle it."
    )
