"""Faults, over real HTTP: the real ``exoplan apply`` against a misbehaving sandbox.

A purchase costs money and is not idempotent, so every test ends with the same two
facts: the sandbox sold each wanted number exactly once, and the state records every
one of them (with the sid the account has) with no journal or lock left behind.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from reconciler.sandbox.server import Sandbox
from tests.support.project import JOURNAL, LOCK, STATE, numbers, write_manifest
from tests.support.run import FAST, apply, exoplan, finish, start_exoplan, wait_for
from tests.support.sandbox import (
    assert_bought_once,
    assert_state_complete,
    new_sandbox,
)


def bought(sandbox: Sandbox) -> int:
    return sum(sandbox.purchases.values())


def assert_converged(folder: Path, sandbox: Sandbox, wanted: list[str]) -> None:
    assert_bought_once(sandbox, wanted)
    assert_state_complete(folder, sandbox, wanted)
    planned = exoplan(sandbox, folder, "plan", "--detailed-exitcode")
    assert planned.code == 0, planned.output


@pytest.mark.parametrize(
    ("killed_after", "force_unlock"),
    [(1, True), (3, False), (5, False)],
    ids=["k1-force-unlock", "k3-lock-taken-over", "k5-lock-taken-over"],
)
def test_sigkill_mid_apply_then_rerun_buys_each_number_once(
    tmp_path: Path, killed_after: int, force_unlock: bool
) -> None:
    wanted = numbers(6)
    write_manifest(tmp_path, wanted)
    with new_sandbox(latency_ms=150) as sandbox:
        process = start_exoplan(
            sandbox, tmp_path, "apply", "--auto-approve", "--parallelism", "1", *FAST
        )
        try:
            wait_for(lambda: bought(sandbox) >= killed_after or process.poll() is not None)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            killed = finish(process)
        assert killed.code == -signal.SIGKILL, killed.output
        # The next purchase may already be on its way: the server commits it even though
        # its buyer is dead. Let it land; the journal holds its intent either way.
        time.sleep(0.5)
        settled = bought(sandbox)
        assert killed_after <= settled <= killed_after + 1
        # The dead apply leaves its journal and its lock; plan warns about the journal.
        assert (tmp_path / JOURNAL).exists() and (tmp_path / LOCK).exists()
        planned = exoplan(sandbox, tmp_path, "plan")
        assert f"warning: {JOURNAL} is left from an interrupted apply" in planned.stderr

        if force_unlock:  # harmless: the file is left over, the OS lock died with apply
            unlocked = exoplan(sandbox, tmp_path, "force-unlock")
            assert unlocked.code == 0, unlocked.output
            assert f"is not locked: {LOCK} is left over from pid {process.pid}" in unlocked.stdout
            assert not (tmp_path / LOCK).exists()
        rerun = apply(sandbox, tmp_path, "--parallelism", "2")
        assert rerun.code == 0, rerun.output
        assert "lock" not in rerun.stderr  # nothing to take over, nothing guessed
        assert "Found the journal of an interrupted apply" in rerun.stderr
        if settled < 6:
            assert (
                f"{6 - settled} purchased, 0 adopted, 0 updated, 0 released, 0 failed"
                in rerun.stdout
            )
        else:
            assert "No changes. 6 numbers match the manifest." in rerun.stdout
        assert_converged(tmp_path, sandbox, wanted)


def test_connection_dropped_after_the_purchase_committed(tmp_path: Path) -> None:
    wanted = numbers(3)
    write_manifest(tmp_path, wanted)
    with new_sandbox() as sandbox:
        sandbox.drop_after_commit_next(1)
        result = apply(sandbox, tmp_path, "--parallelism", "1")
        assert result.code == 0, result.output
        assert "adopted: the account already owned it" in result.stdout
        assert (
            "Apply finished: 2 purchased, 1 adopted, 0 updated, 0 released, 0 failed."
            in result.stdout
        )
        assert sandbox.requests_by_status[0] == 1  # one answer never came
        assert_converged(tmp_path, sandbox, wanted)


def test_5xx_burst_is_retried_without_buying_twice(tmp_path: Path) -> None:
    wanted = numbers(3)
    write_manifest(tmp_path, wanted)
    with new_sandbox() as sandbox:
        sandbox.fail_next(3, status=503)
        result = apply(sandbox, tmp_path, "--parallelism", "1")
        assert result.code == 0, result.output
        assert (
            "Apply finished: 3 purchased, 0 adopted, 0 updated, 0 released, 0 failed."
            in result.stdout
        )
        assert sandbox.requests_by_status[503] == 3
        # After a 5xx to a POST exoplan looks before it buys: the account is listed.
        assert any(method == "GET" for method, _, _ in sandbox.request_log)
        assert_converged(tmp_path, sandbox, wanted)


def test_5xx_burst_on_updates_and_releases_is_retried(tmp_path: Path) -> None:
    kept, renamed, dropped = numbers(3)
    write_manifest(tmp_path, [kept, renamed, dropped])
    with new_sandbox() as sandbox:
        assert apply(sandbox, tmp_path).code == 0
        write_manifest(tmp_path, [kept, {"number": renamed, "friendly_name": "New name"}])
        sandbox.fail_next(3, status=503)
        result = apply(sandbox, tmp_path, "--allow-release", "--parallelism", "2")
        assert result.code == 0, result.output
        assert (
            "Apply finished: 0 purchased, 0 adopted, 1 updated, 1 released, 0 failed."
            in result.stdout
        )
        assert sandbox.requests_by_status[503] == 3
        assert {r["phone_number"]: r["friendly_name"] for r in sandbox.owned()} == {
            kept: "08030240001",
            renamed: "New name",
        }
        assert_bought_once(sandbox, [kept, renamed, dropped])
        assert_state_complete(tmp_path, sandbox, [kept, renamed])


def test_429_storm_is_waited_out(tmp_path: Path) -> None:
    wanted = numbers(4)
    write_manifest(tmp_path, wanted)
    with new_sandbox() as sandbox:
        sandbox.throttle_next(5, retry_after=1)
        started = time.monotonic()
        result = apply(sandbox, tmp_path)
        elapsed = time.monotonic() - started
        assert result.code == 0, result.output
        assert (
            "Apply finished: 4 purchased, 0 adopted, 0 updated, 0 released, 0 failed."
            in result.stdout
        )
        assert sandbox.requests_by_status[429] == 5
        assert elapsed >= 1.0  # it waited as Retry-After asked
        assert_converged(tmp_path, sandbox, wanted)


def test_server_side_rate_limit_is_waited_out(tmp_path: Path) -> None:
    wanted = numbers(8)
    write_manifest(tmp_path, wanted)
    # 4 requests a second, and exoplan told not to pace itself: the server must push back.
    with new_sandbox(rate_limit=4, window_seconds=1.0) as sandbox:
        result = apply(sandbox, tmp_path, "--parallelism", "4")
        assert result.code == 0, result.output
        assert (
            "Apply finished: 8 purchased, 0 adopted, 0 updated, 0 released, 0 failed."
            in result.stdout
        )
        assert_converged(tmp_path, sandbox, wanted)


def test_server_slower_than_the_client_timeout(tmp_path: Path) -> None:
    wanted = numbers(2)
    write_manifest(tmp_path, wanted)
    with new_sandbox() as sandbox:
        sandbox.delay_next(1, seconds=3)  # the first purchase commits, then answers late
        result = apply(sandbox, tmp_path, "--parallelism", "1", "--timeout", "1")
        assert result.code == 0, result.output
        assert "adopted: the account already owned it" in result.stdout
        assert (
            "Apply finished: 1 purchased, 1 adopted, 0 updated, 0 released, 0 failed."
            in result.stdout
        )
        assert_converged(tmp_path, sandbox, wanted)


def test_release_slower_than_the_client_timeout(tmp_path: Path) -> None:
    kept, dropped = numbers(2)
    write_manifest(tmp_path, [kept, dropped])
    with new_sandbox() as sandbox:
        assert apply(sandbox, tmp_path).code == 0
        write_manifest(tmp_path, [kept])
        sandbox.delay_next(1, seconds=3)  # the release happens, its answer comes late
        result = apply(sandbox, tmp_path, "--allow-release", "--timeout", "1")
        assert result.code == 0, result.output
        assert (
            "Apply finished: 0 purchased, 0 adopted, 0 updated, 1 released, 0 failed."
            in result.stdout
        )
        # The repeated DELETE finds the release accepted (202) or the number gone (404):
        # either is the release, not an error.
        deletes = [status for method, _, status in sandbox.request_log if method == "DELETE"]
        assert deletes in ([202, 202], [202, 404])
        assert [r["phone_number"] for r in sandbox.owned()] == [kept]
        assert_bought_once(sandbox, [kept, dropped])
        assert_state_complete(tmp_path, sandbox, [kept])


def test_two_concurrent_applies_one_is_refused_by_the_lock(tmp_path: Path) -> None:
    wanted = numbers(4)
    write_manifest(tmp_path, wanted)
    with new_sandbox(latency_ms=300) as sandbox:
        args = ("apply", "--auto-approve", "--parallelism", "1", *FAST)
        runs = [start_exoplan(sandbox, tmp_path, *args) for _ in range(2)]
        results = [finish(process) for process in runs]
        codes = sorted(result.code for result in results)
        assert codes == [0, 1], results
        winner = next(p for p, r in zip(runs, results, strict=True) if r.code == 0)
        loser = next(r for r in results if r.code == 1)
        assert f"{STATE} is locked by pid {winner.pid} on " in loser.stderr
        assert "running 'exoplan apply'" in loser.stderr
        assert loser.stdout == ""  # refused before planning, let alone buying
        assert_converged(tmp_path, sandbox, wanted)


def test_two_reruns_after_sigkill_only_one_takes_the_stale_lock(tmp_path: Path) -> None:
    wanted = numbers(6)
    write_manifest(tmp_path, wanted)
    args = ("apply", "--auto-approve", "--parallelism", "1", *FAST)
    with new_sandbox(latency_ms=200) as sandbox:
        process = start_exoplan(sandbox, tmp_path, *args)
        try:
            wait_for(lambda: bought(sandbox) >= 2 or process.poll() is not None)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            finish(process)
        time.sleep(0.5)  # let a purchase already on its way land
        runs = [start_exoplan(sandbox, tmp_path, *args) for _ in range(2)]
        results = [finish(run) for run in runs]
        assert sorted(result.code for result in results) == [0, 1], results
        winner = next(p for p, r in zip(runs, results, strict=True) if r.code == 0)
        loser = next(r for r in results if r.code == 1)
        # The dead apply's lock died with it: one run takes the lock, the other is refused.
        assert f"{STATE} is locked by pid {winner.pid} on " in loser.stderr
        assert_converged(tmp_path, sandbox, wanted)


def test_random_failures_converge_in_a_few_runs(tmp_path: Path) -> None:
    wanted = numbers(6)
    write_manifest(tmp_path, wanted)
    # Seed 2 with one request at a time fails a purchase twice and a look-up once.
    with new_sandbox(fail_rate=0.2, rng_seed=2) as sandbox:
        for _ in range(5):
            result = apply(sandbox, tmp_path, "--parallelism", "1")
            if result.code == 0:
                break
            assert "Fix the cause and run `exoplan apply` again" in result.stderr
        assert result.code == 0, result.output
        assert sum(sandbox.requests_by_status[s] for s in (500, 502, 503)) >= 2
        assert_bought_once(sandbox, wanted)
        assert_state_complete(tmp_path, sandbox, wanted)


def test_a_zero_timeout_is_a_usage_error_not_a_crash(tmp_path: Path) -> None:
    write_manifest(tmp_path, numbers(1))
    with new_sandbox() as sandbox:
        result = apply(sandbox, tmp_path, "--timeout", "0")
        assert result.code == 1, result.output
        assert "argument --timeout: expected a number > 0, got '0'" in result.stderr
        assert sandbox.request_log == []
        assert not (tmp_path / JOURNAL).exists()
