"""Tests of ``reconciler.manifest``: YAML, schemas, numbers, flows, loading a manifest."""
