"""Running exoplan as a user does: ``python -m reconciler`` in a subprocess.

Every run gets :func:`exoplan_env`: the outer environment without credentials, colour
settings or proxies (the sandbox is on 127.0.0.1; a proxy must never see its traffic),
with the checkout importable. A run against a sandbox adds the sandbox's URL and
credentials, and ``env`` adds or overrides variables on top.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest

from reconciler.sandbox.server import Sandbox
from tests.support.project import REPO

#: API options for every command that talks to the sandbox: no client-side pacing of
#: writes or reads (what a sandbox advertises is still paced to).
FAST = ("--rate-limit", "0", "--read-rate-limit", "0")
#: What apply asks on a terminal before it changes anything.
PROMPT = "Only 'yes' will be accepted: "
#: Variables that must never leak from the outer environment into a run.
_SCRUBBED = {
    "EXOTEL_API_KEY",
    "EXOTEL_API_TOKEN",
    "EXOTEL_API_URL",
    "EXOPLAN_STATE",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGHOST",
    "PGUSER",
    "PGDATABASE",
    "NO_COLOR",
    "FORCE_COLOR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
}
_LOCAL = "127.0.0.1,localhost"
_ALL_STREAMS = ("stdin", "stdout", "stderr")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Result(NamedTuple):
    """What one run of exoplan left behind."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


#: The ``run_exoplan`` fixture: ``run_exoplan(*args, cwd=tmp_path, env=None) -> Result``.
Runner = Callable[..., Result]


def exoplan_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The outer environment, scrubbed, with the checkout importable, then ``extra``."""
    env = {key: value for key, value in os.environ.items() if key.upper() not in _SCRUBBED}
    paths = [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["NO_PROXY"] = env["no_proxy"] = _LOCAL
    env.update(extra or {})
    return env


def _environment(sandbox: Sandbox | None, env: Mapping[str, str] | None) -> dict[str, str]:
    return exoplan_env({**(sandbox.env() if sandbox is not None else {}), **(env or {})})


def command(*args: str) -> list[str]:
    """``python -m reconciler ARGS`` with this interpreter."""
    return [sys.executable, "-m", "reconciler", *args]


def start_exoplan(
    sandbox: Sandbox | None,
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    program: Sequence[str] | None = None,
    stdin: int = subprocess.DEVNULL,
    stdout: int = subprocess.PIPE,
    stderr: int = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """Start ``exoplan ARGS`` in ``cwd`` (against ``sandbox``, if any) without waiting;
    reap it with :func:`finish`. ``program`` runs instead of ``python -m reconciler``;
    stdin is /dev/null and the output is piped unless told otherwise (a terminal's fd)."""
    return subprocess.Popen(
        [*program, *args] if program is not None else command(*args),
        cwd=cwd,
        env=_environment(sandbox, env),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> Result:
    """Wait for a started run; kills it if it takes longer than ``timeout``."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise AssertionError(f"exoplan did not finish in {timeout}s:\n{stdout}\n{stderr}") from None
    return Result(process.returncode, stdout, stderr)


def exoplan(
    sandbox: Sandbox | None,
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    program: Sequence[str] | None = None,
    timeout: float = 60,
) -> Result:
    """Run ``exoplan ARGS`` in ``cwd`` against ``sandbox`` (None: no API) and wait for it."""
    return finish(start_exoplan(sandbox, cwd, *args, env=env, program=program), timeout)


def apply(sandbox: Sandbox, cwd: Path, *args: str, timeout: float = 60) -> Result:
    """``exoplan apply --auto-approve --rate-limit 0 --read-rate-limit 0 ARGS`` against ``sandbox``."""
    return exoplan(sandbox, cwd, "apply", "--auto-approve", *FAST, *args, timeout=timeout)


def run_on_terminal(
    cwd: Path,
    *args: str,
    sandbox: Sandbox | None = None,
    env: Mapping[str, str] | None = None,
    answer: str | None = None,
    terminal: Iterable[str] = _ALL_STREAMS,
    timeout: float = 30.0,
    columns: int | None = None,
) -> Result:
    """Run exoplan with the streams named in ``terminal`` on one pseudo-terminal (stdin
    otherwise from /dev/null, stdout and stderr otherwise piped) and type ``answer``:
    once it asks (:data:`PROMPT`) if the terminal shows stdout, at once otherwise.

    When stdout is on the terminal, ``stdout`` of the result is everything the terminal
    showed (raw, with stderr when that is on the terminal too). ``columns``: the
    terminal's width.
    """
    on_terminal = set(terminal)
    try:
        master, slave = os.openpty()
    except (AttributeError, OSError) as exc:
        pytest.skip(f"no pseudo-terminal on this platform: {exc}")
    if columns is not None:  # the window size a terminal of that width reports
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        env = {**(env or {}), "COLUMNS": str(columns), "LINES": "24"}
    process = start_exoplan(
        sandbox,
        cwd,
        *args,
        env=env,
        stdin=slave if "stdin" in on_terminal else subprocess.DEVNULL,
        stdout=slave if "stdout" in on_terminal else subprocess.PIPE,
        stderr=slave if "stderr" in on_terminal else subprocess.PIPE,
    )
    os.close(slave)
    shown = b""
    try:
        if "stdout" in on_terminal:
            shown = _converse(master, answer, time.monotonic() + timeout)
        elif answer is not None:
            os.write(master, answer.encode())
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    if "stdout" in on_terminal:
        stdout = shown.decode("utf-8", "replace")
    return Result(process.returncode, stdout or "", stderr or "")


def _converse(master: int, answer: str | None, deadline: float) -> bytes:
    """Everything the terminal shows until the child closes it; types ``answer`` once."""
    shown, answered = b"", answer is None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child has closed the terminal
            break
        if not chunk:
            break
        shown += chunk
        if not answered and PROMPT.encode() in shown:
            os.write(master, (answer or "").encode())
            answered = True
    return shown


def plain(text: str) -> str:
    """Terminal output without colours and with plain newlines."""
    return _ANSI.sub("", text).replace("\r\n", "\n")


def wait_for(predicate: Callable[[], bool], timeout: float = 20, poll: float = 0.005) -> None:
    """Poll ``predicate`` until it holds; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(poll)
