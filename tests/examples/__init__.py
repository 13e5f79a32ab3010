"""The files around the package, checked against the CLI: the CI examples, the GitHub
Action, the pre-commit hook, the GitOps guide, the pins the docs give, and the packaging."""
