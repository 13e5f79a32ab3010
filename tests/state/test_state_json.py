"""The state is written by orjson with the same text ``json`` wrote."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.state.serialise import state_json

_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=12),
    st.floats(allow_nan=False, allow_infinity=False).filter(
        lambda f: f == 0 or 1e-4 < abs(f) < 1e15
    ),
)
_VALUE = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def old(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


@pytest.mark.slow
@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.dictionaries(st.text(max_size=8), _VALUE, max_size=6))
def test_same_text_as_json(data: dict[str, Any]) -> None:
    assert state_json(data) == old(data)


def test_what_orjson_refuses_goes_through_json() -> None:
    data: dict[str, Any] = {"big": 2**70, "numbers": {}}
    assert state_json(data) == old(data)
