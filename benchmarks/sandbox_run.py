"""Running exoplan as a subprocess against a sandbox in this process, and timing what
the sandbox saw: shared by the benchmarks that apply."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.sandbox.server import Sandbox

REPO = Path(__file__).resolve().parent.parent


class AnswerClock:
    """Polls the sandbox's request log and notes when the first and last answers came."""

    def __init__(self, sandbox: Sandbox, every: float = 0.001) -> None:
        self.sandbox = sandbox
        self.every = every
        self.first: float | None = None
        self.last: float | None = None
        self._seen = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> AnswerClock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self._look()

    def _run(self) -> None:
        while not self._done.wait(self.every):
            self._look()

    def _look(self) -> None:
        count = len(self.sandbox.request_log)
        if count > self._seen:
            now = time.perf_counter()
            self.first = now if self.first is None else self.first
            self.last = now
            self._seen = count


@dataclass
class Run:
    """One command against one sandbox: what the sandbox saw and how long it took."""

    code: int
    output: str
    wall: float
    requests: int
    statuses: dict[int, int]
    span: float  # first request's arrival to last answer, seconds
    purchases: dict[str, int]


def run_exoplan(sandbox: Sandbox, folder: Path, args: list[str]) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXOTEL_")}
    env.update(sandbox.env(), PYTHONPATH=str(REPO), NO_COLOR="1")
    command = [sys.executable, "-m", "reconciler", *args]
    with AnswerClock(sandbox) as clock:
        started = time.perf_counter()
        done = _on_terminal(command, folder, env)
        wall = time.perf_counter() - started
    statuses = dict(sandbox.requests_by_status)
    latency = sandbox.latency_ms / 1000
    span = (clock.last - clock.first + latency) if clock.first and clock.last else math.nan
    return Run(
        done.returncode,
        done.stdout + done.stderr,
        wall,
        sum(statuses.values()),
        statuses,
        span,
        dict(sandbox.purchases),
    )


def _on_terminal(command: list[str], folder: Path, env: dict[str, str]) -> Any:
    """Run ``command`` with stdout on a pseudo-terminal, so that apply draws its live
    progress display as a person would see it (stderr piped, stdin from /dev/null)."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(slave)
    shown = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child has closed the terminal
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    _, stderr = process.communicate()
    reader.join(10)
    os.close(master)
    stdout = shown.decode("utf-8", "replace")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
