"""apply_bench's row (h): what the usage guard costs.

An apply that releases numbers nobody called, with ``releases.min_idle_days`` of 90
days, against a sandbox serving call history (all of it older than the window): the
guard must ask at most one Calls request per released number per month of window
(here 3 each), and every number must still be released.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

from apply_bench import SID, e164, owned_records, run_exoplan, write_manifest, write_state

from reconciler.sandbox.server import Sandbox

CALLS_PATH = f"/v1/Accounts/{SID}/Calls"


def old_calls(numbers: list[str], days: int) -> list[dict[str, str]]:
    """One call per number, ``days`` ago (outside a shorter window)."""
    when = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
    return [{"phone_number": n, "date_created": when, "status": "completed"} for n in numbers]


def row_usage_guard(folder: Path, owned: int, released: int, days: int) -> list[str]:
    """(h): the Calls requests an apply of ``released`` idle releases makes."""
    manifest = write_manifest(folder, owned - released)
    manifest.write_text(
        manifest.read_text(encoding="utf-8") + f"releases:\n  min_idle_days: {days}\n",
        encoding="utf-8",
    )
    records = owned_records(owned)
    write_state(manifest, records)
    gone = [e164(i) for i in range(owned - released, owned)]
    calls = old_calls(gone, days + 10)
    cli = ["apply", "-f", str(manifest), "--auto-approve", "--allow-release"]
    cli += ["--allow-mass-change", "--rate-limit", "0", "--read-rate-limit", "0"]
    with Sandbox(account_sid=SID, latency_ms=20, seed=records, calls=calls) as sandbox:
        run = run_exoplan(sandbox, folder, cli)
        log = sandbox.request_log
        left = {r["phone_number"] for r in sandbox.owned()}
    asked = sum(1 for _, path, _ in log if path == CALLS_PATH)
    deletes = sum(1 for method, _, _ in log if method == "DELETE")
    bound = released * math.ceil(days / 30)
    ok = run.code == 0 and asked <= bound and not left.intersection(gone)
    return [
        "(h)",
        f"apply releasing {released} of {owned:,} numbers, none called in "
        f"`releases.min_idle_days: {days}`; sandbox latency 20 ms",
        f"{asked} Calls requests, {deletes} releases",
        f"{asked / released:.1f} Calls requests per release (process {run.wall:.1f} s)",
        f"Calls requests / ({released} releases × {math.ceil(days / 30)} months) = "
        f"**{asked / bound:.2f}**",
        "≤ 1.00, every number released",
        "pass" if ok else "FAIL",
    ]
