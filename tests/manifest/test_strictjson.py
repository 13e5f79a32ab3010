"""reconciler.manifest.strictjson: JSON read back with finite numbers only."""

from __future__ import annotations

import json

import pytest

from reconciler.manifest import strictjson


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, 2.5, -0.0, 1e308, 10000000000000000000000, "NaN", null, true]}', "[]", "3"],
)
def test_finite_json_reads_as_json_does(text: str) -> None:
    assert strictjson.loads(text) == json.loads(text)
    assert strictjson.loads(text.encode()) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "word", "where"),
    [
        ('{"cost": {"max_monthly_increase": NaN}}', "NaN", "cost/max_monthly_increase"),
        ('{"a": [1, {"b": Infinity}]}', "Infinity", "a/1/b"),
        ('{"a": [-Infinity]}', "-Infinity", "a/0"),
        ('{"serial": 1e999}', "1e999", "serial"),
        ('{"a": -1E400}', "-1E400", "a"),
        ("NaN", "NaN", "top level"),
        ('{"x": {"y": 1}, "z": [NaN, Infinity]}', "NaN", "z/0"),
        ('{"k/\\u001b": NaN}', "NaN", "k/\x1b"),
    ],
)
def test_a_number_that_is_not_finite_is_refused_naming_where(
    text: str, word: str, where: str
) -> None:
    with pytest.raises(strictjson.NonFiniteNumber) as raised:
        strictjson.loads(text)
    assert (raised.value.word, raised.value.where) == (word, where)
    assert str(raised.value) == f"{word} at {where} is not a finite number"


def test_the_first_in_document_order_is_named() -> None:
    text = '{"a": {"b": [0, {"c": NaN}]}, "d": Infinity}'
    with pytest.raises(strictjson.NonFiniteNumber) as raised:
        strictjson.loads(text)
    assert raised.value.where == "a/b/1/c"


def test_a_deeply_nested_one_is_found_without_recursion() -> None:
    depth = 900
    text = '{"a": ' * depth + "NaN" + "}" * depth
    with pytest.raises(strictjson.NonFiniteNumber) as raised:
        strictjson.loads(text)
    assert raised.value.where == "/".join(["a"] * depth)[:79] + "…"


def test_a_long_word_is_shortened() -> None:
    with pytest.raises(strictjson.NonFiniteNumber) as raised:
        strictjson.loads("[" + "9" * 400 + ".0]")
    assert len(raised.value.word) == 40 and raised.value.where == "0"


def test_a_damaged_text_is_still_a_json_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        strictjson.loads('{"a": Nan}')
