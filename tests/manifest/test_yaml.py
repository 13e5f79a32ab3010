"""reconciler.manifest.yaml: parsing with duplicate keys caught, and locations on demand."""

from __future__ import annotations

import pytest
import yaml

from reconciler.errors import Location
from reconciler.manifest.aliases import AliasBomb
from reconciler.manifest.yaml import Locator, parse, syntax_problem


def locator(text: str) -> Locator:
    return Locator(parse(text, "m.yaml"), "m.yaml")


DOC = """\
version: 1
account:
  sid: acme1
flows:
  ivr: {app_id: 1}
numbers:
  - number: "+918030240001"
    voice_flow: ivr
  - number: "08030240002"
"""


def test_parse_returns_plain_data_and_no_problems() -> None:
    document = parse(DOC, "m.yaml")
    data, problems = document.data, document.duplicates
    assert problems == []
    assert data["numbers"][1] == {"number": "08030240002"}
    assert data["flows"] == {"ivr": {"app_id": 1}}


def test_empty_document_is_none() -> None:
    document = parse("", "m.yaml")
    assert (document.data, document.duplicates) == (None, [])


@pytest.mark.parametrize(
    ("text", "key", "line", "column", "first"),
    [
        ("a: 1\nb: 2\na: 3\n", "a", 3, 1, 1),
        ("top:\n  x: 1\n  y: 2\n  x: 3\n", "x", 4, 3, 2),
        ("items:\n  - n: 1\n    m: 2\n    n: 3\n", "n", 4, 5, 2),
        ("flow: {k: 1, k: 2}\n", "k", 1, 14, 1),
    ],
)
def test_duplicate_keys_are_reported_at_the_second_occurrence(
    text: str, key: str, line: int, column: int, first: int
) -> None:
    problems = parse(text, "m.yaml").duplicates
    assert len(problems) == 1
    assert problems[0].location == Location("m.yaml", line, column)
    assert problems[0].message.startswith(f"duplicate key '{key}' (first at line {first})")
    assert "YAML would keep only the last one" in problems[0].message


def test_every_duplicate_is_reported() -> None:
    problems = parse("a: 1\na: 2\nb:\n  c: 1\n  c: 2\na: 3\n", "m.yaml").duplicates
    assert sorted(str(p.location) for p in problems) == ["m.yaml:2:1", "m.yaml:5:3", "m.yaml:6:1"]


def test_overriding_a_merged_key_is_not_a_duplicate() -> None:
    text = "base: &b\n  x: 1\n  y: 2\nthing:\n  <<: *b\n  x: 3\n"
    document = parse(text, "m.yaml")
    data, problems = document.data, document.duplicates
    assert problems == []
    assert data["thing"] == {"x": 3, "y": 2}


def test_a_real_duplicate_beside_a_merge_is_still_reported() -> None:
    text = "base: &b\n  x: 1\nthing:\n  <<: *b\n  y: 2\n  y: 3\n"
    problems = parse(text, "m.yaml").duplicates
    assert [str(p.location) for p in problems] == ["m.yaml:6:3"]
    assert "duplicate key 'y' (first at line 5)" in problems[0].message


@pytest.mark.parametrize(
    ("text", "where", "detail"),
    [
        ("a: [1\nb: 2\n", "m.yaml:2:2", "did not find expected ',' or ']'"),
        ('a: "x\n', "m.yaml:2:1", "found unexpected end of stream"),
        ("a: 1\n b: 2\n", "m.yaml:2:3", "mapping values are not allowed in this context"),
        ("a:\n\tb: 1\n", "m.yaml:2:1", "found character that cannot start any token"),
        ("a: 1\n---\nb: 2\n", "m.yaml:2:1", "expected a single document"),
    ],
)
def test_syntax_errors_become_located_problems(text: str, where: str, detail: str) -> None:
    with pytest.raises(yaml.YAMLError) as raised:
        parse(text, "m.yaml")
    problem = syntax_problem(raised.value, "m.yaml")
    assert str(problem.location) == where
    assert problem.message.startswith("YAML syntax error: ")
    assert detail in problem.message


def test_syntax_problem_without_a_mark_points_at_the_start() -> None:
    problem = syntax_problem(yaml.YAMLError("boom"), "m.yaml")
    assert problem.location == Location("m.yaml", 1, 1)
    assert problem.message == "YAML syntax error: boom"


@pytest.mark.parametrize(
    ("path", "at_key", "where"),
    [
        (("account", "sid"), False, (3, 8)),
        (("account", "sid"), True, (3, 3)),
        (("numbers", 1, "number"), False, (9, 13)),
        (("numbers", 1), False, (9, 5)),
        (("numbers", 0, "voice_flow"), True, (8, 5)),
        (("flows", "ivr", "app_id"), False, (5, 17)),
        ((), False, (1, 1)),
    ],
)
def test_locator_finds_values_and_keys(
    path: tuple[str | int, ...], at_key: bool, where: tuple[int, int]
) -> None:
    location = locator(DOC).locate(path, at_key=at_key)
    assert (location.file, location.line, location.column) == ("m.yaml", *where)


@pytest.mark.parametrize(
    "path", [("nope",), ("numbers", 7, "number"), ("account", "sid", "deeper")]
)
def test_locator_falls_back_to_the_start_for_a_path_that_is_not_there(
    path: tuple[str | int, ...],
) -> None:
    assert locator(DOC).locate(path) == Location("m.yaml", 1, 1)


def test_locator_follows_the_last_of_duplicate_keys_like_yaml_does() -> None:
    text = "a: 1\nb: 2\na: 3\n"
    assert locator(text).locate(("a",)) == Location("m.yaml", 3, 4)


def test_locator_on_an_empty_document_points_at_the_start() -> None:
    assert locator("").locate(("numbers", 0)) == Location("m.yaml", 1, 1)


MERGED = """\
base: &base
  x: 1
  y: 2
other: &other
  y: 3
  z: 4
one:
  <<: *base
  y: 5
many:
  <<: [*base, *other]
"""


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("one", "x"), (2, 6)),  # only through the merge: where the anchor spells it
        (("one", "y"), (9, 6)),  # own key wins over the merged one
        (("many", "y"), (3, 6)),  # of several sources the first wins, as in YAML
        (("many", "z"), (6, 6)),
    ],
)
def test_locator_follows_merge_keys(path: tuple[str, ...], where: tuple[int, int]) -> None:
    assert locator(MERGED).locate(path) == Location("m.yaml", *where)


def test_a_mapping_that_merges_itself_is_refused_before_it_is_built() -> None:
    with pytest.raises(AliasBomb) as raised:
        parse("a: &x\n  <<: *x\n  b: 1\n", "m.yaml")
    assert str(raised.value.problem.location) == "m.yaml:1:4"
    assert "contain itself" in raised.value.problem.message


def test_the_quick_resolver_rests_on_what_the_safe_loader_has() -> None:
    # Its shortcut holds while the safe loader has no path resolvers and no resolver
    # for every first character; were PyYAML to add either, this says so.
    from reconciler.manifest.yaml import _Loader

    assert not _Loader.yaml_path_resolvers
    assert None not in _Loader.yaml_implicit_resolvers
