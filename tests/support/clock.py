"""A fake clock for code that paces or backs off: time moves only when someone sleeps."""

from __future__ import annotations


class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
