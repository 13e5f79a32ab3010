"""A seeded, bounded fuzz of damaged files exoplan reads: state, journal, lock, saved plan.

Random JSON shapes, sizes and encodings, written where exoplan expects its files; every
command that reads one must exit 1 with an error naming the file (never a traceback,
never exit 3) and leave every file as it was.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.main import main
from tests.support.project import (
    JOURNAL,
    LINEAGE,
    STATE,
    hold_lock,
    journal_record,
    number,
    snapshot,
    write_manifest,
    write_state,
)

SEED, CASES = 20240501, 24


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value: scalars of every type and size, nested containers."""
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, 10**400, rng.randrange(-(10**9), 10**9)])
    if kind == 3:
        return rng.choice([1e308, -0.0, 3.5, 1e-300, float("nan"), float("inf"), -float("inf")])
    if kind in (4, 5):
        alphabet = 'ab+9\x1b\x9b\u202e\r\n"\\<!--é€'
        return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 3, 40, 5000])))
    if kind == 6:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {str(junk(rng, 3)): junk(rng, depth + 1) for _ in range(rng.randrange(4))}


def mutate(rng: random.Random, data: Any) -> Any:
    """``data`` with one random value (at any depth) replaced by junk of another type."""
    if not isinstance(data, (dict, list)) or not data or rng.random() < 0.2:
        replacement = junk(rng)
        while type(replacement) is type(data):
            replacement = junk(rng)
        return replacement
    if isinstance(data, dict):
        key = rng.choice(sorted(data))
        return {**data, key: mutate(rng, data[key])}
    index = rng.randrange(len(data))
    return [*data[:index], mutate(rng, data[index]), *data[index + 1 :]]


def damaged(rng: random.Random, good: Any) -> bytes:
    """The bytes of a damaged file: a mutated document, junk, bad UTF-8 or deep nesting."""
    choice = rng.randrange(6)
    if choice == 0:
        return json.dumps(junk(rng)).encode()
    if choice == 1:
        return b"\xff\xfe" + json.dumps(good).encode()[:50]
    if choice == 2:
        return b"[" * 50_000 + b"]" * 50_000
    if choice == 3:
        return json.dumps(good).encode()[: rng.randrange(1, 60)]
    return json.dumps(mutate(rng, good)).encode()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().err


def check_refused(capsys: pytest.CaptureFixture[str], folder: Path, name: str, *argv: str) -> str:
    """Run ``argv``: refused naming ``name``, every file left alone; the error line."""
    before = snapshot(folder)
    code, err = run(capsys, *argv)
    assert "Traceback" not in err and code == 1, err
    last = err.rstrip().splitlines()[-1]
    assert last.startswith("error: ") and name in last, err
    assert all(ch.isprintable() for ch in last) and len(last) < 2000
    assert snapshot(folder) == before
    return last


def project(folder: Path) -> dict[str, Any]:
    write_manifest(folder, [number(1), number(2)])
    write_state(folder / STATE, [number(1)])
    data: dict[str, Any] = json.loads((folder / STATE).read_text())
    return data


Case = Callable[[random.Random, Path, pytest.CaptureFixture[str]], None]


def state_case(rng: random.Random, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = project(folder)
    raw = damaged(rng, good)
    (folder / STATE).write_bytes(raw)
    if b'"numbers"' in raw and rng.random() < 0.5:
        return  # a mutation may leave a valid state: covered by the other cases
    code, err = run(capsys, "plan", "-f", str(folder / "numbers.yaml"))
    assert "Traceback" not in err and code in (0, 1), err
    if code == 1:
        check_refused(capsys, folder, STATE, "state", "list", "--state", str(folder / STATE))


def journal_case(rng: random.Random, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(folder)
    begin = {"op": "begin", "id": "j1", "lineage": LINEAGE, "serial": 7, "seq": 1}
    intent = {**journal_record("intent", number(2)), "seq": 2}
    bad = damaged(rng, rng.choice([begin, intent]))
    lines = [bad, json.dumps(intent).encode()]  # damage never in the tolerated torn tail
    (folder / JOURNAL).write_bytes(b"\n".join(lines) + b"\n")
    check_refused(capsys, folder, JOURNAL, "state", "rm", number(1), "--state", str(folder / STATE))


def plan_case(rng: random.Random, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(folder)
    code, _ = run(
        capsys, "plan", "-f", str(folder / "numbers.yaml"), "--out", str(folder / "p.json")
    )
    good = json.loads((folder / "p.json").read_text())
    (folder / "p.json").write_bytes(damaged(rng, good))
    check_refused(capsys, folder, "p.json", "apply", str(folder / "p.json"), "--auto-approve")


def _tamper_action(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["actions"][0].__setitem__(key, value)


def _add_release(data: dict[str, Any]) -> None:
    release = {"action": "release", "number": number(1), "name": None, "protect": False}
    release |= {"sid": "sid" + number(1).lstrip("+"), "params": {}, "changes": []}
    data["actions"].append(release)
    data["summary"].update(release=1, unchanged=0)


#: Edits of a saved plan's fields that keep it well-formed: each one changes what apply
#: would do or what the reviewer was shown, so each must be refused.
TAMPERINGS: list[Callable[[dict[str, Any]], None]] = [
    _tamper_action("number", number(3)),
    _tamper_action("action", "update"),
    _tamper_action("name", "Someone else's line"),
    _tamper_action("params", {"FriendlyName": "x", "VoiceUrl": "http://evil.example/x"}),
    _tamper_action("protect", True),
    _tamper_action("marks", {"pool": "p", "pool_index": 1}),
    _tamper_action("rental", {"price": "0.01", "currency": "INR"}),
    _tamper_action("sid", "sid1"),
    _add_release,
    lambda data: data.update(breaches=[{"kind": "update", "count": 1, "managed": 1, "limit": 1}]),
    lambda data: data.update(
        waiting=[
            {
                "number": number(1),
                "name": None,
                "since": "2026-01-01",
                "release_after": "2026-01-15",
            }
        ]
    ),
    lambda data: data["summary"].update(unchanged=5),
    lambda data: data["cost"].update(unknown_prices=0),
    lambda data: data["cost"].update(max_monthly_increase="1", over_budget=None),
    lambda data: data["state"].update(serial=8),
    lambda data: data["manifest"].update(sha256="0" * 64),
    lambda data: data["account"].update(sid="other"),
]


def tampered_case(rng: random.Random, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A saved plan edited field by field, still well-formed: refused, nothing sent."""
    project(folder)
    path = folder / "p.json"
    code, _ = run(capsys, "plan", "-f", str(folder / "numbers.yaml"), "--out", str(path))
    data = json.loads(path.read_text())
    for tamper in rng.sample(TAMPERINGS, rng.choice([1, 1, 2])):
        tamper(data)
    path.write_text(json.dumps(data, indent=2))
    check_refused(capsys, folder, "p.json", "apply", str(path), "--auto-approve", "--allow-release")


NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": -float("inf")}
#: Where a tampered plan may put a number that is not finite (Python's json reads NaN,
#: Infinity and -Infinity, and json.dumps writes them): the budget, a price, a threshold.
NON_FINITE_TAMPERINGS: list[Callable[[dict[str, Any], float], None]] = [
    lambda data, value: data["cost"].update(max_monthly_increase=value),
    lambda data, value: data["actions"][0].update(rental={"price": value, "currency": "INR"}),
    lambda data, value: data.update(
        breaches=[{"kind": "update", "count": 1, "managed": 1, "limit": value}]
    ),
    lambda data, value: data["summary"].update(unchanged=value),
    lambda data, value: data["actions"][0]["changes"].append(
        {"field": "protect", "before": value, "after": True}
    ),
]


def non_finite_case(rng: random.Random, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A saved plan given a NaN or an infinity, in a field or anywhere: refused, naming
    the file and the place, nothing sent."""
    project(folder)
    path = folder / "p.json"
    run(capsys, "plan", "-f", str(folder / "numbers.yaml"), "--out", str(path))
    data = json.loads(path.read_text())
    word = rng.choice(sorted(NON_FINITE))
    value = NON_FINITE[word]
    if rng.random() < 0.5:
        rng.choice(NON_FINITE_TAMPERINGS)(data, value)
    else:
        data = put_anywhere(rng, data, value)
    path.write_text(json.dumps(data, indent=2))
    last = check_refused(capsys, folder, "p.json", "apply", str(path), "--auto-approve")
    assert f": {word} is not a finite number" in last, last


def put_anywhere(rng: random.Random, data: Any, value: float) -> Any:
    """``data`` with ``value`` in place of one of its values, at any depth."""
    if not isinstance(data, (dict, list)) or not data or rng.random() < 0.3:
        return value
    if isinstance(data, dict):
        key = rng.choice(sorted(data))
        return {**data, key: put_anywhere(rng, data[key], value)}
    index = rng.randrange(len(data))
    return [*data[:index], put_anywhere(rng, data[index], value), *data[index + 1 :]]


def lock_case(rng: random.Random, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(folder)
    hold_lock(folder, content=damaged(rng, {"pid": 1, "host": "h", "time": "t", "command": "c"}))
    check_refused(capsys, folder, STATE, "state", "rm", number(1), "--state", str(folder / STATE))


def link_case(rng: random.Random, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A side file committed as a link to a file elsewhere is refused, never written."""
    project(folder)
    outside = folder.parent / f"{folder.name}-outside"
    outside.write_bytes(damaged(rng, {"pid": 1}))
    before = outside.read_bytes()
    side = rng.choice([STATE + ".lock", STATE + ".backup", JOURNAL])
    (folder / side).symlink_to(outside)
    check_refused(capsys, folder, side, "state", "rm", number(1), "--state", str(folder / STATE))
    assert outside.read_bytes() == before


@pytest.mark.parametrize(
    "case",
    [state_case, journal_case, plan_case, tampered_case, non_finite_case, lock_case, link_case],
)
def test_damaged_files_are_refused_naming_them_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    # Nothing may be sent: a command that got as far as Exotel would find nobody there.
    monkeypatch.setenv("EXOTEL_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("EXOTEL_API_KEY", "key")
    monkeypatch.setenv("EXOTEL_API_TOKEN", "token")
    rng = random.Random(f"{SEED}-{case.__name__}")
    for index in range(CASES):
        folder = tmp_path / str(index)
        folder.mkdir()
        case(rng, folder, capsys)
