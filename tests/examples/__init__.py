"""The CI examples, the pre-commit hook and the GitOps guide, checked against the CLI."""
