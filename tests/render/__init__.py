"""Tests of ``reconciler.render``: text, JSON, Markdown, progress lines, exported manifests."""
