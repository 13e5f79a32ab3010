"""Tests of ``reconciler.state``: the state file, its serialisation, its lock, the journal,
the stores."""
