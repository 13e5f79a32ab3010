"""JSON text of the files exoplan reads back (saved plans, states, journals), parsed
with finite numbers only.

Python's ``json`` reads ``NaN``, ``Infinity`` and ``-Infinity``, which JSON does not have
and exoplan never writes, and turns a number too large for a float (``1e999``) into
infinity. A file holding one was made or edited by someone else: a saved plan from a
pull request, a state or journal edited by hand. Such a number slips past every
comparison (NaN equals nothing) or is written back as null, so the file is refused,
naming where the number is. Lives at the manifest floor beside the bounded reader, so
that every stage that reads files can use it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from reconciler.errors import shorten


class NonFiniteNumber(ValueError):
    """The text holds a number that is not finite: ``word`` as written (shortened),
    ``where`` its path in the document (``actions/0/rental/price``, or ``top level``)."""

    def __init__(self, word: str, where: str) -> None:
        self.word = shorten(word, 40)
        self.where = shorten(where)
        super().__init__(f"{self.word} at {self.where} is not a finite number")


class _Word(str):
    """What the parser gives for a number that is not finite, to be found afterwards."""


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``, raising NonFiniteNumber for a number that is not finite.

    The parser hands NaN and the infinities to ``parse_constant`` and every number with a
    fraction or exponent to ``parse_float`` (a file of exoplan's holds few: amounts are
    strings); only when one is not finite is the document walked to name where it is.
    """
    seen: list[_Word] = []

    def constant(word: str) -> _Word:
        seen.append(_Word(word))
        return seen[-1]

    def number(word: str) -> float | _Word:
        value = float(word)
        return value if math.isfinite(value) else constant(word)

    data = json.loads(text, parse_constant=constant, parse_float=number)
    if seen:
        raise NonFiniteNumber(str(seen[0]), _where(data, seen[0]))
    return data


def _where(data: Any, word: _Word) -> str:
    """The path of ``word`` in ``data``, keys and indexes joined by ``/``."""
    pending: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while pending:  # a stack, not recursion: the document may be nested deeply
        value, path = pending.pop()
        if value is word:
            return "/".join(path) or "top level"
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list):
            items = [(str(index), item) for index, item in enumerate(value)]
        else:
            continue
        pending += [(item, (*path, str(key))) for key, item in reversed(items)]
    return "top level"
