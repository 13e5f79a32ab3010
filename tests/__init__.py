"""exoplan's tests, laid out like the ``reconciler`` package; shared helpers in ``support``."""
