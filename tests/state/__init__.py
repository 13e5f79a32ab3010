"""Tests of ``reconciler.state``: the state file, its lock, the journal, folding, recovery,
and executing a plan."""
