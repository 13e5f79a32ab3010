"""Tests of ``reconciler.apply``: executing a plan, folding, recovery, the transaction."""
