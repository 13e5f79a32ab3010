"""Tests of ``reconciler.plan``: the planner, drift and saved plan files."""
