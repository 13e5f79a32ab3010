"""Shared helpers: run the real command as a subprocess, copy fixtures, write states."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "manifests"
LINEAGE = "0b7a3f1e-5c2d-4e8f-9a6b-1c2d3e4f5a6b"
#: Variables that must never leak from the outer environment into a test run.
_SCRUBBED = ("EXOTEL_API_KEY", "EXOTEL_API_TOKEN", "EXOTEL_API_URL", "NO_COLOR", "FORCE_COLOR")


class Result(NamedTuple):
    """What a run of exoplan left behind."""

    code: int
    stdout: str
    stderr: str


def exoplan_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The outer environment without credentials, with the checkout importable."""
    env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
    paths = [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra or {})
    return env


def run_command(command: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> Result:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=exoplan_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return Result(done.returncode, done.stdout, done.stderr)


Runner = Callable[..., Result]


@pytest.fixture
def run_exoplan(tmp_path: Path) -> Runner:
    """``run_exoplan(*args, cwd=tmp_path, env=None)`` runs ``python -m reconciler``."""

    def run(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
        return run_command([sys.executable, "-m", "reconciler", *args], cwd or tmp_path, env)

    return run


def copy_fixture(name: str, folder: Path, as_name: str | None = None) -> Path:
    """Copy ``tests/fixtures/manifests/<name>`` into ``folder``; returns the copy."""
    target = folder / (as_name or name)
    shutil.copyfile(FIXTURES / name, target)
    return target


def state_entry(number: str, **fields: Any) -> dict[str, Any]:
    """A state entry as apply would record it; ``fields`` override the defaults."""
    entry: dict[str, Any] = {
        "sid": "sid" + number.lstrip("+"),
        "phone_number": number,
        "friendly_name": None,
        "voice_url": None,
        "sms_url": None,
        "capabilities": {"voice": True, "sms": True},
        "number_type": "Landline",
        "rental_price": "499.000000",
        "currency": "INR",
        "protect": False,
    }
    entry.update(fields)
    return entry


def write_state(
    path: Path,
    numbers: Mapping[str, Mapping[str, Any]] | Iterable[str] = (),
    *,
    lineage: str = LINEAGE,
    serial: int = 7,
    account_sid: str | None = "acme1",
) -> bytes:
    """Write a version 1 state file at ``path``; returns its bytes.

    ``numbers`` maps E.164 to entry fields (merged over :func:`state_entry`), or is an
    iterable of E.164 numbers with default entries.
    """
    if isinstance(numbers, Mapping):
        entries = {n: state_entry(n, **dict(fields)) for n, fields in numbers.items()}
    else:
        entries = {n: state_entry(n) for n in numbers}
    data = {
        "format": "exoplan-state",
        "version": 1,
        "lineage": lineage,
        "serial": serial,
        "account_sid": account_sid,
        "numbers": entries,
    }
    raw = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")
    path.write_bytes(raw)
    return raw


def voice_url(app_id: str | int, sid: str = "acme1") -> str:
    return f"http://my.exotel.com/{sid}/exoml/start_voice/{app_id}"


def sms_url(app_id: str | int, sid: str = "acme1") -> str:
    return f"http://my.exotel.com/{sid}/exoml/start_sms/{app_id}"


def write_manifest(folder: Path, body: str, name: str = "numbers.yaml") -> Path:
    """Write a manifest from ``body`` (dedented by the caller) and return its path."""
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


#: Each failing fixture manifest -> every problem it must produce, in report order:
#: (line, column, a fragment of the message). Shared by test_manifest and the CLI tests.
BAD_MANIFESTS: dict[str, list[tuple[int, int, str]]] = {
    "bad-yaml-syntax.yaml": [
        (7, 11, "YAML syntax error: did not find expected ',' or ']' (while parsing a flow"),
    ],
    "bad-unknown-key.yaml": [
        (
            6,
            5,
            "unknown key 'frendly_name' in numbers[0]: allowed keys are friendly_name, "
            "number, protect, sms_flow, voice_flow",
        ),
    ],
    "bad-wrong-type.yaml": [(6, 14, "numbers[0].protect must be true or false, not a string")],
    "bad-unquoted-number.yaml": [
        (5, 13, "numbers[0].number must be a string, not a whole number: put it in quotes"),
    ],
    "bad-missing-number.yaml": [(6, 5, "numbers[1] is missing the required key 'number'")],
    "bad-duplicate-key.yaml": [
        (7, 5, "duplicate key 'friendly_name' (first at line 6); YAML would keep only the last"),
    ],
    "bad-invalid-number.yaml": [
        (6, 13, "'12345' is not a valid phone number: write it as +<country code><number>"),
    ],
    "bad-number-extension.yaml": [
        (5, 13, "'+918030240001 ext. 5' is not written as a phone number: use at least six"),
    ],
    "bad-duplicate-number.yaml": [
        (
            7,
            13,
            "'08030240001' is the same number as '+918030240001' at line 5: both are "
            "+918030240001; keep one of the two entries",
        ),
    ],
    "bad-unknown-flow.yaml": [
        (
            9,
            17,
            "unknown flow 'suport-ivr' in voice_flow: define it under flows (known: support-ivr)",
        ),
    ],
    # Three entries share the bad value through a merge: reported once, where it is written.
    "bad-unknown-flow-merged.yaml": [
        (10, 17, "unknown flow 'suport-ivr' in voice_flow: define it under flows"),
    ],
    "bad-app-id.yaml": [(6, 13, "app_id 'support' of flow 'support-ivr' is not numeric")],
    "bad-app-id-negative.yaml": [(6, 13, "app_id of flow 'support-ivr' must be a positive number")],
    "bad-default-country.yaml": [
        (4, 20, "unknown country code 'XX': use an ISO 3166-1 code such as IN or SG"),
    ],
    "bad-region.yaml": [
        (4, 11, "account.region must be one of: singapore, mumbai (not 'delhi')"),
    ],
    "bad-version.yaml": [(1, 10, "version must be 1, not 2")],
    "bad-empty.yaml": [(1, 1, "the manifest is empty: it needs version, account and numbers")],
    "bad-not-a-mapping.yaml": [
        (1, 1, "the manifest must be a mapping with version, account and numbers"),
    ],
    "bad-not-utf8.yaml": [(6, 1, "not UTF-8 text: save the file as UTF-8")],
    "bad-many.yaml": [
        (4, 3, "unknown key 'colour' in account"),
        (7, 13, "app_id 'ivr' of flow 'support-ivr' is not numeric"),
        (12, 5, "duplicate key 'friendly_name' (first at line 11)"),
        (13, 13, "'not a number' is not a phone number"),
        (14, 13, "'08030240001' is the same number as '+918030240001' at line 9"),
        (15, 15, "unknown flow 'missing-flow' in sms_flow"),
        (16, 5, "numbers[3] is missing the required key 'number'"),
        (17, 14, "numbers[3].protect must be true or false, not a whole number"),
    ],
}
