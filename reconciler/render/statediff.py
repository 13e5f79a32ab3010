"""A state diff (``exoplan state diff``) -> terminal text or JSON. Formatting only.

States are files on disk or rows in a database: every value is data, shown JSON-quoted
and escaped for the terminal; the JSON is written with non-ASCII escaped.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from reconciler.render.escape import terminal
from reconciler.reports import StateDelta, StateDiff, StateRef

FORMAT_VERSION = 1


def render_state_diff(found: StateDiff, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump(state_diff_data(found), out, indent=2, ensure_ascii=True)
        out.write("\n")
    else:
        out.write(state_diff_text(found))


def state_diff_text(found: StateDiff) -> str:
    lines = [f"--- {_side(found.before)}", f"+++ {_side(found.after)}"]
    lines += [_delta_line(delta) for delta in found.deltas]
    count = len(found.deltas)
    lines.append(f"{count} difference(s)." if count else "No differences.")
    return "\n".join(lines) + "\n"


def _side(ref: StateRef) -> str:
    lineage = ref.lineage[:8] if ref.lineage else "none"
    return f"{terminal(ref.where)} (serial {ref.serial}, lineage {terminal(lineage)})"


def _delta_line(delta: StateDelta) -> str:
    where = terminal(".".join(str(step) for step in delta.path))
    if delta.kind == "added":
        return f"  + {where}: {_value(delta.after)}"
    if delta.kind == "removed":
        return f"  - {where}: {_value(delta.before)}"
    return f"  ~ {where}: {_value(delta.before)} -> {_value(delta.after)}"


def _value(value: Any) -> str:
    return terminal(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


def state_diff_data(found: StateDiff) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "from": _ref_data(found.before),
        "to": _ref_data(found.after),
        "identical": not found.deltas,
        "differences": [
            {
                "path": list(delta.path),
                "kind": delta.kind,
                "before": delta.before,
                "after": delta.after,
            }
            for delta in found.deltas
        ],
    }


def _ref_data(ref: StateRef) -> dict[str, Any]:
    return {"where": ref.where, "serial": ref.serial, "lineage": ref.lineage}
