"""Measure the state stores: the file against PostgreSQL on 127.0.0.1, in one run.

(a) load + save of a 10,000-number state through each store (the PostgreSQL save is the
    compare-and-swap UPDATE plus its version row, under the store's lock); target:
    PostgreSQL <= 2x the file.
(b) the journal cost per action: two records (intent, then outcome), each durable before
    the call returns (file: write + fsync; PostgreSQL: one committed INSERT); target:
    <= 5 ms per action on either store.
(c) apply throughput against the sandbox (limit 600/min, latency 100 ms,
    `--rate-limit 600 --parallelism 4`) with the state in each store; target: >= 0.9 of
    the rate limit on both.

A PostgreSQL server is started for the run (initdb + pg_ctl into a temporary folder, as
the tests do, with fsync on), unless --url names one. Prints a Markdown table.

    python benchmarks/state_bench.py [--quick] [--url postgresql://...?name=bench]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import apply_bench  # noqa: E402
from report import Section  # noqa: E402

from reconciler.model import State  # noqa: E402
from reconciler.state.backends import open_store  # noqa: E402
from reconciler.state.store import Store  # noqa: E402
from tests.support.postgres import start_server, stop_server  # noqa: E402

NUMBERS = 10_000


def big_state(path: str) -> State:
    numbers = {
        r["phone_number"]: {**r, "protect": False} for r in apply_bench.owned_records(NUMBERS)
    }
    return State(path=path, account_sid=apply_bench.SID, numbers=numbers)


def best(repeat: int, step: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times)


def load_save(store: Store, repeat: int) -> float:
    """Best time of one load + one save of the 10k state, under the store's lock."""
    lock = store.lock("bench", 0)
    lock.acquire()
    try:
        first = big_state(store.where)
        first.serial = store.load().serial  # a state that already exists, as in real use
        first.lineage = store.load().lineage
        store.save(first)

        def cycle() -> None:
            state = store.load()
            state.numbers[next(iter(state.numbers))]["friendly_name"] = str(time.time())
            store.save(state)

        return best(repeat, cycle)
    finally:
        lock.release()
        store.close()


def journal_cost(store: Store, actions: int) -> float:
    """Seconds per action: an intent and an outcome record, each durable."""
    lock = store.lock("bench", 0)
    lock.acquire()
    journal = store.journal()
    try:
        journal.open("bench", 1)
        record = {"action": "purchase", "number": "+918030240001", "sid": None, "params": {}}
        started = time.perf_counter()
        for _ in range(actions):
            journal.write({**record, "op": "intent"})
            journal.write({**record, "op": "done", "record": {"sid": "x" * 32}})
        return (time.perf_counter() - started) / actions
    finally:
        journal.remove()
        lock.release()
        store.close()


def apply_rate(folder: Path, location: str, count: int) -> float:
    """Achieved purchases per minute / the rate limit, with the state at ``location``."""
    os.environ["EXOPLAN_STATE"] = location
    try:
        cli = ["--rate-limit", "600", "--parallelism", "4"]
        run, _ = apply_bench.apply_scenario(folder, count, cli, rate_limit=600, latency_ms=100)
    finally:
        del os.environ["EXOPLAN_STATE"]
    ok = sum(n for status, n in run.statuses.items() if 200 <= status < 300)
    return ok / run.span * 60 / 600


def rows(url: str, folder: Path, quick: bool) -> list[list[str]]:
    repeat, actions, count = (2, 50, 40) if quick else (5, 300, 120)
    file_path = str(folder / "bench.state.json")
    file_ls = load_save(open_store(file_path), repeat)
    pg_ls = load_save(open_store(url), repeat)
    file_j = journal_cost(open_store(str(folder / "journal.state.json")), actions)
    pg_j = journal_cost(open_store(url), actions)
    name = f"apply-{uuid.uuid4().hex[:8]}"
    file_rate = apply_rate(folder, str(folder / "apply.state.json"), count)
    pg_rate = apply_rate(folder, url.replace("name=", f"name={name}-", 1), count)
    ok = "pass"
    return [
        [
            "(a) load + save, 10k numbers",
            f"{file_ls * 1000:.0f} ms",
            f"{pg_ls * 1000:.0f} ms",
            f"PostgreSQL / file = **{pg_ls / file_ls:.2f}**",
            "≤ 2.0",
            ok if pg_ls <= 2 * file_ls else "FAIL",
        ],
        [
            "(b) journal per action (2 records)",
            f"{file_j * 1000:.2f} ms",
            f"{pg_j * 1000:.2f} ms",
            f"PostgreSQL / file = **{pg_j / file_j:.2f}**",
            "≤ 5 ms each",
            ok if max(file_j, pg_j) <= 0.005 else "FAIL",
        ],
        [
            f"(c) apply, {count} purchases at 600/min",
            f"{file_rate:.2f} of the limit",
            f"{pg_rate:.2f} of the limit",
            f"PostgreSQL / file = **{pg_rate / file_rate:.2f}**",
            "≥ 0.90 each",
            ok if min(file_rate, pg_rate) >= 0.9 else "FAIL",
        ],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, a smaller apply")
    parser.add_argument("--url", help="an existing server's state URL (default: start one)")
    args = parser.parse_args()
    server: Any = None
    url = args.url
    if url is None:
        server = start_server(fsync=True)
        url = server.url(f"bench-{uuid.uuid4().hex[:8]}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            table = rows(url, Path(folder), args.quick)
    finally:
        if server is not None:
            stop_server(server)
    out = Section("state", "The state stores: the JSON file and PostgreSQL")
    out.line("| measure | file | PostgreSQL | ratio | target | result |")
    out.line("| --- | ---: | ---: | --- | --- | --- |")
    for row in table:
        out.line("| " + " | ".join(row) + " |")
    out.write()
    return 0 if all(row[-1] == "pass" for row in table) else 1


if __name__ == "__main__":
    raise SystemExit(main())
