"""What the tests share: one way to run exoplan, one way to start the sandbox, one manifest
writer, and the constants they agree on. Fixtures stay in ``tests/conftest.py``.

``project``   a project folder: its file names, manifests, states, journals, locks
``fixtures``  the manifests under ``tests/fixtures`` and the problems each must produce
``run``       exoplan as a user runs it: a subprocess in a scrubbed environment
``sandbox``   the local Exotel stand-in, and the account behind exoplan's back
``records``   Exotel's records of owned numbers; the project the drift tests start from
``paging``    250 owned numbers on a fake host, served page by page by ``responses``
``plans``     plans and actions as the planner makes them
``clock``     a fake clock for code that sleeps
``action``    the GitHub Action's scripts (``action/``), importable as the runner finds them
"""
