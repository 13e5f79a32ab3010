"""``validate``: a manifest checked whole; the state is never read."""

from __future__ import annotations

from reconciler.manifest.load import load_manifest
from reconciler.model import Manifest


def validate(path: str) -> Manifest:
    """The manifest at ``path``, validated; ManifestError lists every problem, each at
    its file, line and column."""
    return load_manifest(path)
