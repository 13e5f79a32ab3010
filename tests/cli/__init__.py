"""Tests of ``reconciler.cli``: each command, mostly run as a real subprocess."""
