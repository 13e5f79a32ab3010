"""The GitHub Action's scripts under ``action/``, imported the way the runner finds them.

They are standalone scripts, not part of the package: the runner starts them with
``python3 action/NAME.py``, so ``action/`` is first on their import path, and
``plan_comment`` and ``drift_issue`` import ``exoplan_step`` by its bare name. The tests do the same.
"""

from __future__ import annotations

import sys

from tests.support.project import REPO

ACTION_DIR = REPO / "action"
if str(ACTION_DIR) not in sys.path:
    sys.path.insert(0, str(ACTION_DIR))

import drift_issue  # noqa: E402
import exoplan_step  # noqa: E402
import plan_comment  # noqa: E402

__all__ = ["ACTION_DIR", "drift_issue", "exoplan_step", "plan_comment"]
