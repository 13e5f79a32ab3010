"""Pausing Python's cycle collector while building large acyclic data.

Parsing a 100k-number manifest allocates millions of containers; the cycle
collector would walk the growing heap again and again, for nothing: parsed YAML
and JSON hold no reference cycles. Plain reference counting still frees garbage.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
