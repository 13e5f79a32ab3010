"""reconciler.cli.manifests: where each of several manifests keeps its state."""

from __future__ import annotations

import argparse

import pytest

from reconciler.cli.manifests import state_for
from reconciler.errors import UsageError


def args(state: str | None) -> argparse.Namespace:
    return argparse.Namespace(state=state)


def test_without_a_state_option_each_manifest_keeps_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EXOPLAN_STATE", raising=False)
    assert state_for(args(None), "teams/acme.yaml") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://db/exoplan", "postgresql://db/exoplan?name=acme"),
        ("postgres://u@db:5433/x?schema=s", "postgres://u@db:5433/x?schema=s&name=acme"),
    ],
)
def test_a_postgres_url_without_name_names_each_state_after_its_file(
    url: str, expected: str
) -> None:
    assert state_for(args(url), "teams/acme.yaml") == expected


def test_exoplan_state_counts_as_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXOPLAN_STATE", "postgresql://db/exoplan")
    assert state_for(args(None), "b.yml") == "postgresql://db/exoplan?name=b"
    monkeypatch.setenv("EXOPLAN_STATE", "shared.state.json")
    with pytest.raises(UsageError, match="^EXOPLAN_STATE names one state"):
        state_for(args(None), "b.yml")


@pytest.mark.parametrize("given", ["one.state.json", "postgresql://db/exoplan?name=all"])
def test_a_state_naming_one_state_is_refused(given: str) -> None:
    with pytest.raises(UsageError, match="^--state names one state, but several manifests"):
        state_for(args(given), "a.yaml")
