"""The cycle collector is paused for a block, then what the block made is frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from reconciler.collector import collector_paused


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
