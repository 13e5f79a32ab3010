"""``python -m reconciler``: the same as the ``exoplan`` command."""

from reconciler.cli.main import main

raise SystemExit(main())
