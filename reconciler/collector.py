"""How the ``exoplan`` process runs Python's cycle collector, and why that is safe.

A collection walks every container object the collector tracks to find reference
cycles no longer used. A command makes objects by the thousand or the million that are
all alive and hold no garbage cycles: its modules as it starts, a manifest's data and
the state's JSON as it reads them. Collections then would walk them again and again
and free nothing: for a large manifest a large share of its plan's time, and even for
the small example some milliseconds of its start-up (``benchmarks/plan_bench.py``
measures both).

So the command line's entry (``reconciler.cli.run``) pauses it for the whole command:
a command ends in seconds or minutes, and what it does after reading makes few garbage
cycles if any (requests' calls over one session make none); ``exoplan sandbox``, which serves until it
is stopped, collects as usual. It is a setting of the whole process: no library
function touches it, so a program that calls exoplan's modules (a service, a test run)
keeps its own.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block; plain reference counting still frees.

    Then every object alive, above all those the block made, is moved out of the
    collector's sight (``gc.freeze``): otherwise its next collections would walk them
    all (a pause alone only defers that work) and find them alive. Reference counting
    still frees them; only a reference cycle among them would outlive its use, which
    for a command that ends in seconds is nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
