"""The rows of ``apply_bench.py`` about many accounts and their budgets.

(f) 4 accounts x 100 purchases, a manifest each in one directory; every account limited
    by the sandbox to 600 requests a minute (60 per 6 s, so that the limit binds),
    latency 100 ms; `apply -f DIR --rate-limit 600 --jobs 4`: the accounts run side by
    side, so total throughput / (4 x 600/min) >= 0.9, with fewer than 1% of answers 429.
(g) one account whose sandbox counts reads and writes in one budget (`--one-budget`,
    600/min over 6 s windows), as Exotel documents its ExoPhone API; one client sends
    100 purchases and 100 reads at once (4 threads), with no --read-rate-limit: reads
    and writes together stay within the one budget, so no answer is 429.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from apply_bench import e164
from sandbox_run import REPO, AnswerClock, _on_terminal

from reconciler.exotel.client import Credentials, ExotelClient
from reconciler.exotel.factory import PACING_HEADROOM
from reconciler.sandbox.server import Sandbox

ACCOUNTS = 4
WINDOW = 6.0


def _credentials(index: int) -> tuple[str, str, str]:
    return f"team{index}", f"key-{index:04d}-bench", f"token-{index:04d}-bench"


def _write_manifests(folder: Path, count: int) -> Path:
    directory = folder / "accounts"
    directory.mkdir(exist_ok=True)
    for stale in directory.iterdir():
        stale.unlink()
    for index in range(ACCOUNTS):
        sid, _, _ = _credentials(index)
        lines = [
            "version: 1",
            "account:",
            f"  sid: {sid}",
            "  region: mumbai",
            "  credentials:",
            f"    key_env: KEY_{index}",
            f"    token_env: TOKEN_{index}",
            "flows:",
            "  f0:",
            "    app_id: 123456",
            "numbers:",
        ]
        for i in range(count):
            lines += [f'  - number: "{e164(index * 1000 + i)}"', "    voice_flow: f0"]
        (directory / f"{sid}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def _run(sandbox: Sandbox, folder: Path, args: list[str]) -> tuple[Any, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXOTEL_")}
    env.update(EXOTEL_API_URL=sandbox.url, PYTHONPATH=str(REPO), NO_COLOR="1")
    for index in range(ACCOUNTS):
        _, key, token = _credentials(index)
        env.update({f"KEY_{index}": key, f"TOKEN_{index}": token})
    with AnswerClock(sandbox) as clock:
        done = _on_terminal([sys.executable, "-m", "reconciler", *args], folder, env)
    latency = sandbox.latency_ms / 1000
    span = (clock.last or 0.0) - (clock.first or 0.0) + latency
    return done, span


def row_accounts(folder: Path, count: int, limit: int) -> list[str]:
    """(f): several accounts at once, each at its own limit."""
    directory = _write_manifests(folder, count)
    first, *others = [_credentials(i) for i in range(ACCOUNTS)]
    per_window = round(limit * WINDOW / 60)
    options: dict[str, Any] = {"rate_limit": per_window, "window_seconds": WINDOW}
    with Sandbox(
        account_sid=first[0],
        api_key=first[1],
        api_token=first[2],
        accounts=others,
        latency_ms=100,
        one_budget=True,
        **options,
    ) as sandbox:
        args = ["apply", "-f", str(directory), "--auto-approve", "--rate-limit", str(limit)]
        done, span = _run(sandbox, folder, [*args, "--jobs", str(ACCOUNTS)])
        statuses = dict(sandbox.requests_by_status)
        bought = dict(sandbox.purchases)
    if done.returncode != 0 or len(bought) != ACCOUNTS * count or set(bought.values()) != {1}:
        raise SystemExit(
            f"apply failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}"
        )
    requests, throttled = sum(statuses.values()), statuses.get(429, 0)
    per_minute = ACCOUNTS * count / span * 60
    ratio, share = per_minute / (ACCOUNTS * limit), throttled / requests
    return [
        "(f)",
        f"{ACCOUNTS} accounts x {count} purchases, a manifest each; sandbox {per_window} "
        f"per {WINDOW:g} s per account, latency 100 ms; `--rate-limit {limit} --jobs {ACCOUNTS}`",
        f"{requests} requests, {throttled} answered 429 ({share:.1%})",
        f"{per_minute:.0f}/min in {span:.1f} s",
        f"throughput / ({ACCOUNTS} x limit) = **{ratio:.2f}**",
        "≥ 0.90 and < 1% 429",
        "pass" if ratio >= 0.9 and share < 0.01 else "FAIL",
    ]


def row_one_budget(count: int, limit: int) -> list[str]:
    """(g): one account's client sending reads and writes at once, on a sandbox that
    counts both in one budget: together they stay within it (no 429)."""
    sid, key, token = _credentials(0)
    per_window = round(limit * WINDOW / 60)
    with Sandbox(
        account_sid=sid,
        api_key=key,
        api_token=token,
        latency_ms=100,
        one_budget=True,
        rate_limit=per_window,
        window_seconds=WINDOW,
    ) as sandbox:
        client = ExotelClient(
            sid, sandbox.url, Credentials(key, token), rate_limit=limit, headroom=PACING_HEADROOM
        )
        bought = client.purchase(e164(0), {})
        with AnswerClock(sandbox) as clock, ThreadPoolExecutor(4) as pool:
            writes = [pool.submit(client.purchase, e164(i), {}) for i in range(1, count + 1)]
            reads = [pool.submit(client.get_number, bought.record["sid"]) for _ in range(count)]
            for future in writes + reads:
                future.result()
        client.close()
        log = sandbox.request_log[1:]
    span = (clock.last or 0.0) - (clock.first or 0.0) + 0.1
    throttled = sum(1 for _, _, status in log if status == 429)
    return [
        "(g)",
        f"1 account's client: {count} purchases and {count} reads at once; sandbox: "
        f"reads and writes in one budget of {per_window} per {WINDOW:g} s, latency 100 ms; "
        f"`--rate-limit {limit}`, no `--read-rate-limit`",
        f"{len(log)} requests",
        f"{len(log) / span * 60:.0f}/min in {span:.1f} s",
        f"answers 429 = **{throttled}**",
        "0",
        "pass" if throttled == 0 else "FAIL",
    ]


if __name__ == "__main__":  # the rows alone: python benchmarks/accounts_rows.py
    import tempfile

    with tempfile.TemporaryDirectory() as name:
        print(row_accounts(Path(name), 100, 600))
        print(row_one_budget(100, 600))
