"""Fixtures shared by every test folder; the helpers behind them are in ``tests.support``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.support.run import Result, Runner, exoplan


@pytest.fixture
def run_exoplan(tmp_path: Path) -> Runner:
    """``run_exoplan(*args, cwd=tmp_path, env=None)`` runs ``python -m reconciler``."""

    def run(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
        return exoplan(None, cwd or tmp_path, *args, env=env)

    return run
