"""Measure `exoplan apply` and `exoplan plan --refresh` against the local sandbox.

One run prints a Markdown table with a target and a verdict per row:

(a) sandbox limit 600/min, latency 100 ms, 300 purchases, `--rate-limit 600`:
    achieved throughput / limit >= 0.9, with fewer than 1% of answers 429.
(a') the same 600/min enforced over a 6 s sliding window (60 per 6 s) instead of 60 s:
    (a) sends fewer requests than one window admits, so the sandbox's limit never
    binds; here it binds after the first 60 requests, as Exotel's does in a long apply.
    Same targets.
(b) no limit, latency 100 ms, 400 purchases, `--rate-limit 0 --parallelism 8`:
    throughput >= 0.8 x 8 / 100 ms.
(c) `plan --refresh` of a manifest and state of 10k numbers that the sandbox owns:
    the requests it makes (pages of 50) and its wall time.
(d) `refresh` of the same 10k numbers against a sandbox advertising (and enforcing)
    300 reads a minute, without --read-rate-limit: the listing takes at most 1.1 x
    pages / 300 a minute (200 pages: 40 s), as the client paces to the advertised limit.
(e) apply of 200 purchases to an account of 10k numbers, the sandbox losing 5% of the
    purchase answers after making the purchase: at most one listing settles them all.
(f), (g) many accounts side by side, and one budget for reads and writes: see
    ``accounts_rows.py``.
(h) the usage guard (``guard_rows``): at most one Calls request per released number
    per month of ``releases.min_idle_days``.

Each apply runs the real command in a subprocess against a sandbox in this process.
The apply phase is timed from the sandbox's side: from the arrival of the first
request (its answer time less the configured latency) to the last answer, so
interpreter start-up, planning and the final state write are not counted; the
process's whole wall time is shown beside it.

    python benchmarks/apply_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from report import Section  # noqa: E402
from sandbox_run import Run, run_exoplan  # noqa: E402

from reconciler.sandbox.server import Sandbox  # noqa: E402

SID = "bench1"
APP_ID = 123456
PAGE_SIZE = 50  # what the client asks for when it lists


def e164(i: int) -> str:
    return f"+9180{30000000 + i:08d}"


def voice_url(i: int) -> str:
    return f"https://my.exotel.in/{SID}/exoml/start_voice/{APP_ID + i % 3}"


def write_manifest(folder: Path, count: int) -> Path:
    lines = ["version: 1", "account:", f"  sid: {SID}", "  region: mumbai", "flows:"]
    lines += [f"  f{k}:\n    app_id: {APP_ID + k}" for k in range(3)]
    lines.append("numbers:")
    for i in range(count):
        lines += [
            f'  - number: "{e164(i)}"',
            f"    friendly_name: Line {i}",
            f"    voice_flow: f{i % 3}",
        ]
    path = folder / "numbers.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for stale in folder.glob("numbers.state.json*"):
        stale.unlink()
    return path


def owned_records(count: int) -> list[dict[str, Any]]:
    """What the sandbox owns (and the state records) for the refresh scenario."""
    return [
        {
            "sid": f"{i:032x}",
            "phone_number": e164(i),
            "friendly_name": f"Line {i}",
            "voice_url": voice_url(i),
            "sms_url": None,
            "capabilities": {"voice": True, "sms": True},
            "number_type": "Landline",
            "rental_price": "499.000000",
            "currency": "INR",
        }
        for i in range(count)
    ]


def write_state(manifest: Path, records: list[dict[str, Any]]) -> None:
    state = {
        "format": "exoplan-state",
        "version": 1,
        "lineage": "00000000-0000-4000-8000-000000000000",
        "serial": 1,
        "account_sid": SID,
        "numbers": {r["phone_number"]: {**r, "protect": False} for r in records},
    }
    manifest.with_suffix(".state.json").write_text(json.dumps(state), encoding="utf-8")


def apply_scenario(
    folder: Path, count: int, cli: list[str], **sandbox_options: Any
) -> tuple[Run, Sandbox]:
    manifest = write_manifest(folder, count)
    with Sandbox(account_sid=SID, **sandbox_options) as sandbox:
        run = run_exoplan(sandbox, folder, ["apply", "-f", str(manifest), "--auto-approve", *cli])
    if run.code != 0:
        raise SystemExit(f"apply failed ({run.code}):\n{run.output[-3000:]}")
    bought_twice = [n for n, times in run.purchases.items() if times != 1]
    if len(run.purchases) != count or bought_twice:
        raise SystemExit(f"expected {count} numbers bought once each, got {run.purchases}")
    return run, sandbox


def row_limited(folder: Path, label: str, count: int, limit: int, window: float) -> list[str]:
    """(a): the client paces itself at the sandbox's limit; throughput / limit, 429 share."""
    per_window = max(1, round(limit * window / 60))
    run, _ = apply_scenario(
        folder,
        count,
        ["--rate-limit", str(limit), "--parallelism", "4"],
        rate_limit=per_window,
        latency_ms=100,
        window_seconds=window,
    )
    ok = sum(n for status, n in run.statuses.items() if 200 <= status < 300)
    throttled = run.statuses.get(429, 0)
    per_minute = ok / run.span * 60
    ratio, share = per_minute / limit, throttled / run.requests
    verdict = "pass" if ratio >= 0.9 and share < 0.01 else "FAIL"
    return [
        label,
        f"{count} purchases; sandbox {per_window} per {window:g} s, latency 100 ms; "
        f"`--rate-limit {limit} --parallelism 4`",
        f"{run.requests} requests, {throttled} answered 429 ({share:.1%})",
        f"{per_minute:.0f}/min in {run.span:.1f} s (process {run.wall:.1f} s)",
        f"throughput / limit = **{ratio:.2f}**",
        "≥ 0.90 and < 1% 429",
        verdict,
    ]


def row_parallel(folder: Path, count: int, parallelism: int) -> list[str]:
    """(b): no limit anywhere; throughput against parallelism / latency."""
    latency = 0.1
    run, _ = apply_scenario(
        folder,
        count,
        ["--rate-limit", "0", "--parallelism", str(parallelism)],
        latency_ms=int(latency * 1000),
    )
    per_second = count / run.span
    ratio = per_second / (parallelism / latency)
    return [
        "(b)",
        f"{count} purchases; sandbox unlimited, latency 100 ms; "
        f"`--rate-limit 0 --parallelism {parallelism}`",
        f"{run.requests} requests",
        f"{per_second:.1f}/s in {run.span:.2f} s (process {run.wall:.1f} s)",
        f"throughput / ({parallelism} / 0.1 s) = **{ratio:.2f}**",
        "≥ 0.80",
        "pass" if ratio >= 0.8 else "FAIL",
    ]


def row_refresh(folder: Path, count: int) -> list[str]:
    """(c): plan --refresh over ``count`` owned and managed numbers."""
    manifest = write_manifest(folder, count)
    records = owned_records(count)
    write_state(manifest, records)
    offline = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "-f", str(manifest)],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        check=True,
    )
    offline = time.perf_counter() - offline
    with Sandbox(account_sid=SID, latency_ms=100, seed=records) as sandbox:
        args = ["plan", "-f", str(manifest), "--refresh", "--rate-limit", "0"]
        run = run_exoplan(sandbox, folder, [*args, "--read-rate-limit", "0"])
    if run.code != 0:
        raise SystemExit(f"plan --refresh failed ({run.code}):\n{run.output[-3000:]}")
    pages = math.ceil(count / PAGE_SIZE)
    unchanged = "No changes" in run.output
    paced = (run.requests - 1) * 60 / 50
    return [
        "(c)",
        f"`plan --refresh`, {count:,} owned and managed numbers; sandbox latency 100 ms; "
        "`--rate-limit 0 --read-rate-limit 0`",
        f"{run.requests} requests (GET pages of {PAGE_SIZE})",
        f"{run.wall:.1f} s (offline plan {offline:.1f} s; listing {run.span:.1f} s)",
        f"at the default 50 reads/min (nothing advertised): + {paced:.0f} s of pacing",
        f"{pages} requests, no changes",
        "pass" if run.requests == pages and unchanged else "FAIL",
    ]


def row_advertised_refresh(folder: Path, count: int, reads_per_minute: int) -> list[str]:
    """(d): `refresh` against a sandbox advertising (and enforcing) a read limit, with no
    --read-rate-limit: the client must read at the advertised pace, not its default."""
    manifest = write_manifest(folder, count)
    records = owned_records(count)
    write_state(manifest, records)
    options = {"latency_ms": 100, "seed": records, "read_rate_limit": reads_per_minute}
    with Sandbox(account_sid=SID, **options) as sandbox:
        run = run_exoplan(sandbox, folder, ["refresh", "-f", str(manifest)])
    if run.code != 0:
        raise SystemExit(f"refresh failed ({run.code}):\n{run.output[-3000:]}")
    pages = math.ceil(count / PAGE_SIZE)
    bound = pages * 60 / reads_per_minute
    ratio = run.span / bound
    throttled = run.statuses.get(429, 0)
    unchanged = re.search(r"No changes outside|: 0 number\(s\) changed outside", run.output)
    ok = ratio <= 1.1 and run.requests == pages and unchanged is not None
    return [
        "(d)",
        f"`refresh`, {count:,} owned and managed numbers; sandbox advertising "
        f"{reads_per_minute} reads/min, latency 100 ms; no `--read-rate-limit`",
        f"{run.requests} requests (GET pages of {PAGE_SIZE}), {throttled} answered 429",
        f"listing {run.span:.1f} s (process {run.wall:.1f} s)",
        f"listing / ({pages} pages at {reads_per_minute}/min = {bound:.0f} s) = **{ratio:.2f}**",
        f"≤ 1.10, {pages} requests, no drift",
        "pass" if ok else "FAIL",
    ]


def row_unknown_purchases(folder: Path, count: int, owned: int, lost: float) -> list[str]:
    """(e): an apply over a large account in which a share of purchase answers is lost
    after the purchase was made: every lost one is settled by the same single listing."""
    seed = [
        {**r, "phone_number": f"+9179{30000000 + i:08d}"}
        for i, r in enumerate(owned_records(owned))
    ]
    run, sandbox = apply_scenario(
        folder,
        count,
        ["--rate-limit", "0", "--read-rate-limit", "0", "--parallelism", "8"],
        seed=seed,
        drop_rate=lost,
        rng_seed=5,
    )
    listings, pages = sandbox.pages_served[0], sum(sandbox.pages_served.values())
    dropped = run.statuses.get(0, 0)
    summary = re.search(r"Apply finished: \d+ purchased, (\d+) adopted", run.output)
    adopted = int(summary.group(1)) if summary else -1
    ok = listings <= 1 and dropped > 0 and adopted == dropped
    return [
        "(e)",
        f"{count} purchases, {lost:.0%} of answers lost after the purchase (sandbox "
        f"`--drop-rate {lost:g}`); account of {owned:,} numbers; `--parallelism 8`",
        f"{run.requests} requests; {dropped} answers lost",
        f"{listings} listing ({pages} pages); {adopted} adopted, each bought once",
        f"listings = **{listings}** for {dropped} purchases in doubt",
        "≤ 1 listing",
        "pass" if ok else "FAIL",
    ]


def main() -> int:
    from guard_rows import row_usage_guard  # it reads this module's helpers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args()
    sizes = (90, 80, 1000, 60, 30) if args.quick else (300, 400, 10_000, 200, 100)
    import accounts_rows  # beside this file; it imports this module's helpers

    header = ["", "scenario", "requests", "achieved", "ratio", "target", "result"]
    out = Section("apply", "Apply and the account's reads, against the sandbox")
    out.line("| " + " | ".join(header) + " |")
    out.line("| " + " | ".join("---" for _ in header) + " |")
    verdicts = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        scenarios = [
            lambda: row_limited(folder, "(a)", sizes[0], 600, 60.0),
            lambda: row_limited(folder, "(a′)", sizes[0], 600, 6.0),
            lambda: row_parallel(folder, sizes[1], 8),
            lambda: row_refresh(folder, sizes[2]),
            lambda: row_advertised_refresh(folder, sizes[2], 300),
            lambda: row_unknown_purchases(folder, sizes[3], sizes[2], 0.05),
            lambda: accounts_rows.row_accounts(folder, sizes[4], 600),
            lambda: accounts_rows.row_one_budget(sizes[4], 600),
            lambda: row_usage_guard(folder, sizes[2], sizes[3], 90),
        ]
        for scenario in scenarios:
            row = scenario()
            verdicts.append(row[-1])
            out.line("| " + " | ".join(row) + " |")
    out.write()
    return 0 if all(verdict == "pass" for verdict in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
