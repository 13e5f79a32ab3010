"""``python -m reconciler``: the same as the ``exoplan`` command."""

from reconciler.cli import run

run()
