"""Interrupted work end to end: SIGINT and SIGTERM stop apply gracefully and save what
was done; a killed lock holder frees the lock at once; other writers settle a journal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.sandbox.server import Sandbox
from tests.support.run import FAST

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "acme1"
NUMBERS = [f"+9180302400{n:02d}" for n in range(1, 9)]
MANIFEST = (
    "version: 1\naccount:\n  sid: acme1\n  region: mumbai\n"
    "flows:\n  support-ivr:\n    app_id: 123456\nnumbers:\n"
    + "".join(f'  - number: "{n}"\n    voice_flow: support-ivr\n' for n in NUMBERS)
)


def env_for(sandbox: Sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXOTEL_", "NO_COLOR"))}
    env.update(sandbox.env())
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


def start(folder: Path, sandbox: Sandbox, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "reconciler", *args, "-f", "numbers.yaml"]
    return subprocess.Popen(
        command,
        cwd=folder,
        env=env_for(sandbox),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(folder: Path, sandbox: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    process = start(folder, sandbox, *args)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def journalled_done(folder: Path) -> int:
    try:
        text = (folder / "numbers.state.json.journal").read_text()
    except FileNotFoundError:
        return 0
    return text.count('"op": "done"')


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "numbers.yaml").write_text(MANIFEST)
    return tmp_path


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_apply_gracefully_and_saves_the_state(
    project: Path, signum: int, code: int
) -> None:
    with Sandbox(account_sid=ACCOUNT, latency_ms=150) as sandbox:
        process = start(project, sandbox, "apply", "--auto-approve", "--parallelism", "2")
        wait_for(lambda: journalled_done(project) >= 2)
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
        assert process.returncode == code, err
        assert "starting no new request" in err
        assert "not started" in out + err
        assert not (project / "numbers.state.json.journal").exists()
        state = json.loads((project / "numbers.state.json").read_text())
        owned = {record["phone_number"] for record in sandbox.owned()}
        assert set(state["numbers"]) == owned  # every bought number is in the state
        assert 2 <= len(owned) < len(NUMBERS)
        rerun = run(project, sandbox, "apply", "--auto-approve", *FAST)
        assert rerun.returncode == 0, rerun.stderr
        assert all(count == 1 for count in sandbox.purchases.values())
        assert sorted(sandbox.purchases) == sorted(NUMBERS)
        check = run(project, sandbox, "plan", "--refresh", "--detailed-exitcode")
        assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("between", [("refresh",), ("state", "rm", NUMBERS[0])])
def test_a_journal_left_by_sigkill_is_settled_by_the_next_writer(
    project: Path, between: tuple[str, ...]
) -> None:
    with Sandbox(account_sid=ACCOUNT, latency_ms=150) as sandbox:
        process = start(project, sandbox, "apply", "--auto-approve", "--parallelism", "1")
        wait_for(lambda: journalled_done(project) >= 2)
        process.kill()
        process.communicate(timeout=30)
        bought = {record["phone_number"] for record in sandbox.owned()}
        other = run(project, sandbox, *between)
        assert other.returncode == 0, other.stderr
        assert "settling it first" in other.stderr
        state = json.loads((project / "numbers.state.json").read_text())
        expected = bought - ({NUMBERS[0]} if between[0] == "state" else set())
        assert set(state["numbers"]) == expected
        rerun = run(project, sandbox, "apply", "--auto-approve", *FAST)
        assert rerun.returncode == 0, rerun.stderr
        assert all(count == 1 for count in sandbox.purchases.values())


def test_a_killed_lock_holder_frees_the_lock_at_once(project: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from reconciler.state.lock import StateLock\n"
            "lock = StateLock('numbers.state.json', 'exoplan apply')\n"
            "lock.acquire(); print('held', flush=True); time.sleep(60)\n",
        ],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with Sandbox(account_sid=ACCOUNT) as sandbox:
            refused = run(project, sandbox, "state", "rm", NUMBERS[0])
            assert refused.returncode == 1
            assert f"locked by pid {holder.pid}" in refused.stderr
            holder.kill()
            holder.wait()
            freed = run(project, sandbox, "apply", "--auto-approve", *FAST)
            assert freed.returncode == 0, freed.stderr
    finally:
        holder.kill()
        holder.wait()


def test_an_authentication_failure_stops_the_run(project: Path) -> None:
    with Sandbox(account_sid=ACCOUNT) as sandbox:
        env = {**env_for(sandbox), "EXOTEL_API_TOKEN": "not-the-token"}
        command = [sys.executable, "-m", "reconciler", "apply", "--auto-approve"]
        result = subprocess.run(
            [*command, "--parallelism", "1", *FAST, "-f", "numbers.yaml"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert [status for _, _, status in sandbox.request_log] == [401]
        assert f"{len(NUMBERS) - 1} not started" in result.stdout
        assert "were not started (Exotel refused the credentials" in result.stderr
        assert "not-the-token" not in result.stdout + result.stderr


def test_a_second_signal_exits_at_once_and_the_next_command_settles(project: Path) -> None:
    with Sandbox(account_sid=ACCOUNT, latency_ms=400) as sandbox:
        process = start(project, sandbox, "apply", "--auto-approve", "--parallelism", "2")
        wait_for(lambda: journalled_done(project) >= 1)
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        assert "starting no new request" in process.stderr.readline() + process.stderr.readline()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 130, err
        assert "again: exiting at once" in err
        assert (project / "numbers.state.json.journal").exists()  # left for the next run
        rerun = run(project, sandbox, "apply", "--auto-approve", *FAST)
        assert rerun.returncode == 0, rerun.stderr
        assert "settling it first" in rerun.stderr
        assert all(count == 1 for count in sandbox.purchases.values())
        assert sorted(sandbox.purchases) == sorted(NUMBERS)
