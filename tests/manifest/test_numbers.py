"""reconciler.manifest.numbers: every spelling of a number becomes one E.164 identity."""

from __future__ import annotations

import pytest

from reconciler.manifest.numbers import InvalidNumber, is_region, national, normalise, try_normalise


@pytest.mark.parametrize(
    "written",
    [
        "+918030240001",
        "918030240001",
        "08030240001",
        "8030240001",
        "+91 80302 40001",
        "+91-80-3024-0001",
        "(080) 3024 0001",
        " +918030240001 ",
    ],
)
def test_spellings_of_one_indian_number_normalise_to_one_e164(written: str) -> None:
    assert normalise(written, "IN") == "+918030240001"


@pytest.mark.parametrize(
    ("written", "country", "e164"),
    [
        ("+912240350010", "IN", "+912240350010"),
        ("912240350010", "IN", "+912240350010"),
        ("02240350010", "IN", "+912240350010"),
        ("18002700323", "IN", "+9118002700323"),
        ("61234567", "SG", "+6561234567"),
        ("6561234567", "SG", "+6561234567"),
        ("+6561234567", "IN", "+6561234567"),
        ("6502530000", "US", "+16502530000"),
        ("8030240001", "in", "+918030240001"),
    ],
)
def test_default_country_reads_numbers_without_a_plus(
    written: str, country: str, e164: str
) -> None:
    assert normalise(written, country) == e164


def test_default_country_defaults_to_india() -> None:
    assert normalise("08030240001") == "+918030240001"


def test_a_national_number_of_another_country_is_not_read_as_indian() -> None:
    # 08030240001 is an Indian national spelling; read as Singaporean it is no number.
    with pytest.raises(InvalidNumber, match="'08030240001' is not a valid phone number"):
        normalise("08030240001", "SG")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("12345", "'12345' is not a valid phone number"),
        ("+910000000000", "'+910000000000' is not a valid phone number"),
        ("abc", "'abc' is not a phone number (not a phone number)"),
        ("", "'' is not a phone number (not a phone number)"),
        ("+91", "'+91' is not a phone number (not a phone number)"),
        ("+999123", "'+999123' is not a phone number (unknown country code)"),
        ("+918030240001999999999", "is not a phone number (too long)"),
    ],
)
def test_invalid_numbers_say_why(written: str, message: str) -> None:
    with pytest.raises(InvalidNumber) as raised:
        normalise(written, "IN")
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("written", "expected"),
    [("08030240001", "+918030240001"), ("12345", None), ("not a number", None)],
)
def test_try_normalise_returns_none_instead_of_raising(written: str, expected: str | None) -> None:
    assert try_normalise(written, "IN") == expected


@pytest.mark.parametrize(
    ("code", "known"), [("IN", True), ("in", True), ("SG", True), ("XX", False), ("IND", False)]
)
def test_is_region(code: str, known: bool) -> None:
    assert is_region(code) is known


@pytest.mark.parametrize(
    ("e164", "spelling"),
    [("+918030240001", "08030240001"), ("+912240350010", "02240350010")],
)
def test_national_spelling_has_no_separators(e164: str, spelling: str) -> None:
    assert national(e164) == spelling
    assert normalise(national(e164), "IN") == e164


@pytest.mark.parametrize("text", ["2208470054", "447400123456"])
def test_digits_without_a_plus_are_never_read_as_another_country(text: str) -> None:
    with pytest.raises(InvalidNumber):
        normalise(text, "IN")
