"""The cycle collector is paused for a block, then what the block made is frozen; the
command line's entry pauses it for a command, and no library function touches it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.collector import collector_paused
from reconciler.manifest.load import load_manifest
from reconciler.state.file import load_state, new_state, save_state
from tests.support.project import REPO


@pytest.fixture(autouse=True)
def _collector_as_found() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_and_back_on_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_back_on_after_an_error() -> None:
    gc.enable()
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_what_the_block_made_is_out_of_the_collectors_sight() -> None:
    gc.unfreeze()
    with collector_paused():
        made = [[i] for i in range(10_000)]
    assert gc.get_freeze_count() >= len(made)
    # No generation holds them: no collection will walk them.
    walked = {id(thing) for thing in gc.get_objects()}
    assert not any(id(m) in walked for m in made)


def test_the_entry_runs_a_command_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gc.enable()
    seen: list[bool] = []
    monkeypatch.setattr("reconciler.cli.main.main", lambda: seen.append(gc.isenabled()) or 0)
    with pytest.raises(SystemExit) as ended:
        run()
    assert (seen, ended.value.code) == ([False], 0)
    assert gc.isenabled()


def test_reading_a_manifest_or_a_state_leaves_the_collector_alone(tmp_path: Path) -> None:
    state = new_state(str(tmp_path / "numbers.state.json"), "acme1")
    save_state(state)
    gc.enable()
    gc.unfreeze()
    load_manifest(str(REPO / "examples" / "numbers.yaml"))
    load_state(state.path)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
