"""Whole-system tests: the real command against the sandbox, faults, and properties."""
