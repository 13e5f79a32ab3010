"""reconciler.manifest.checker: readable schema messages, and a shape cache that stays exact."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.manifest.checker import SchemaChecker, SchemaFinding
from reconciler.manifest.load import JUDGED_HERE
from reconciler.manifest.schema import schema


def checker() -> SchemaChecker:
    """The checker as the manifest module builds it."""
    return SchemaChecker(schema("manifest"), "numbers", JUDGED_HERE)


def document(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": 1, "account": {"sid": "acme1"}, "numbers": []}
    doc.update(overrides)
    return doc


def test_a_valid_document_has_no_findings() -> None:
    doc = document(
        account={"sid": "acme1", "region": "mumbai", "default_country": "IN"},
        flows={"ivr": {"app_id": 1, "description": "menu"}, "sms": {"app_id": "2"}},
        numbers=[
            {
                "number": "+918030240001",
                "friendly_name": "x",
                "voice_flow": "ivr",
                "sms_flow": "sms",
                "protect": True,
            },
        ],
    )
    assert checker().check(doc) == []


def test_a_valid_document_is_settled_without_jsonschema() -> None:
    check = checker()
    assert check.check(document(numbers=[{"number": "+918030240001"}] * 3)) == []
    assert "validator" not in vars(check) and "item_validator" not in vars(check)


@pytest.mark.parametrize(
    "doc",
    [document(version=1.0), document(flows={"ivr": {"app_id": 5.0}})],
)
def test_what_the_gate_cannot_vouch_for_jsonschema_still_settles(doc: dict[str, Any]) -> None:
    # jsonschema takes 1.0 for the integer 1; the quick gate leaves floats to it.
    assert checker().check(doc) == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            document(extra=1),
            SchemaFinding(
                ("extra",),
                "unknown key 'extra' in the manifest: allowed keys are account, flows, "
                "numbers, pools, releases, safety, state, unmanaged, version",
                at_key=True,
            ),
        ),
        (
            document(numbers=[{"number": "+918030240001", "frendly_name": "x"}]),
            SchemaFinding(
                ("numbers", 0, "frendly_name"),
                "unknown key 'frendly_name' in numbers[0]: allowed keys are friendly_name, "
                "ignore_changes, number, protect, sms_flow, voice_flow",
                at_key=True,
            ),
        ),
        (
            document(numbers=[{"friendly_name": "x"}]),
            SchemaFinding(("numbers", 0), "numbers[0] is missing the required key 'number'"),
        ),
        (
            document(numbers=[{"number": 918030240001}]),
            SchemaFinding(
                ("numbers", 0, "number"),
                "numbers[0].number must be a string, not a whole number: put it in quotes, "
                'e.g. "+918030240001"',
            ),
        ),
        (
            document(numbers=[{"number": "+918030240001", "protect": "yes"}]),
            SchemaFinding(
                ("numbers", 0, "protect"), "numbers[0].protect must be true or false, not a string"
            ),
        ),
        (
            document(numbers=["+918030240001"]),
            SchemaFinding(("numbers", 0), "numbers[0] must be a mapping, not a string"),
        ),
        (
            document(numbers={}),
            SchemaFinding(("numbers",), "numbers must be a list, not a mapping"),
        ),
        (
            document(version=2),
            SchemaFinding(("version",), "version must be 1, not 2"),
        ),
        (
            document(account={"sid": ""}),
            SchemaFinding(("account", "sid"), "account.sid must not be empty"),
        ),
        (
            document(account={"sid": "a", "region": "delhi"}),
            SchemaFinding(
                ("account", "region"),
                "account.region must be one of: singapore, mumbai (not 'delhi')",
            ),
        ),
        (
            document(account={"sid": "a", "default_country": "IND"}),
            SchemaFinding(
                ("account", "default_country"),
                "account.default_country must be a two-letter country code such as IN, not 'IND'",
            ),
        ),
        (
            document(flows={"ivr": {"app_id": 1.5}}),
            SchemaFinding(
                ("flows", "ivr", "app_id"),
                "flows.ivr.app_id must be a whole number or a string, not a number",
            ),
        ),
        (
            document(flows={"ivr": "123"}),
            SchemaFinding(("flows", "ivr"), "flows.ivr must be a mapping, not a string"),
        ),
    ],
)
def test_each_violation_has_a_readable_message_and_path(
    doc: dict[str, Any], expected: SchemaFinding
) -> None:
    assert checker().check(doc) == [expected]


def test_missing_top_level_keys_are_each_reported() -> None:
    findings = checker().check({"version": 1})
    assert [f.message for f in findings] == [
        "the manifest is missing the required key 'account'",
        "the manifest is missing the required key 'numbers'",
    ]
    assert all(f.path == () for f in findings)


def test_every_unknown_key_of_an_entry_is_reported_at_the_key() -> None:
    findings = checker().check(document(numbers=[{"number": "+918030240001", "x": 1, "y": 2}]))
    assert [(f.path, f.at_key) for f in findings] == [
        (("numbers", 0, "x"), True),
        (("numbers", 0, "y"), True),
    ]


def test_findings_in_top_level_and_entries_come_together() -> None:
    doc = document(extra=1, numbers=[{"number": "+918030240001"}, {"number": 5}])
    assert [f.path for f in checker().check(doc)] == [("extra",), ("numbers", 1, "number")]


def test_values_judged_elsewhere_are_only_type_checked() -> None:
    doc = document(
        account={"sid": "acme1", "default_country": "India"},
        flows={"ivr": {"app_id": "abc"}, "sms": {"app_id": -1}},
        numbers=[{"number": "12"}, {"number": 12}],
    )
    findings = checker().check(doc)
    assert [f.path for f in findings] == [
        ("account", "default_country"),  # a pattern the schema pass still owns
        ("numbers", 1, "number"),  # a wrong type is still the schema's to report
    ]
    unstripped = SchemaChecker(schema("manifest"), "numbers")
    assert len(unstripped.check(doc)) == 5


def test_a_cached_valid_shape_does_not_hide_a_later_invalid_shape() -> None:
    check = checker()
    valid = {"number": "+918030240001", "protect": True}
    invalid = {"number": "+918030240002", "protect": "true"}
    findings = check.check(document(numbers=[valid, valid, invalid, valid]))
    assert [f.path for f in findings] == [("numbers", 2, "protect")]
    # And again with the shape already known to be valid.
    assert [f.path for f in check.check(document(numbers=[invalid]))] == [("numbers", 0, "protect")]


_KEYS = st.sampled_from(["number", "friendly_name", "voice_flow", "sms_flow", "protect", "extra"])
_VALUES = st.one_of(
    st.text(max_size=3),
    st.booleans(),
    st.integers(),
    st.none(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=1),
    st.dictionaries(st.text(max_size=1), st.integers(), max_size=1),
)
_ENTRIES = st.one_of(st.dictionaries(_KEYS, _VALUES, max_size=4), _VALUES)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(_ENTRIES, max_size=6))
def test_the_shape_cache_agrees_with_plain_jsonschema(entries: list[Any]) -> None:
    check = checker()
    plain = Draft202012Validator(check.validator.schema)
    # Twice through one checker: the second pass answers from the cache.
    for _ in range(2):
        findings = check.check(document(numbers=entries))
        flagged = {f.path[1] for f in findings if len(f.path) > 1}
        for index, entry in enumerate(entries):
            valid = not list(plain.iter_errors(document(numbers=[entry])))
            assert (index not in flagged) is valid, entry
