"""The E.164 fast path gives phonenumbers' answer, or no answer at all."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifest import numbers as phone
from reconciler.manifest.e164 import fast_e164

REGIONS = ["IN", "SG", "GB", "US", "IT", "DE", "AU", "AE", "BR", "FR"]


def slow(text: str, region: str) -> str | None:
    """What normalise answered before the fast path: phonenumbers alone."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    code = str(phonenumbers.country_code_for_region(region))
    if text.strip().startswith(code):
        return slow("+" + text.strip(), region)
    return None


def spellings() -> st.SearchStrategy[str]:
    digits = st.text(alphabet="0123456789", min_size=1, max_size=16)
    prefix = st.sampled_from(
        ["", "+", "+91", "91", "0", "00", "+65", "65", "+44", "+39", "0091", "+0"]
    )
    indian = st.integers(min_value=6_000_000_000, max_value=9_999_999_999).map(str)
    toll_free = st.integers(min_value=0, max_value=10**9).map(lambda n: f"1800{n}")
    landline = st.integers(min_value=0, max_value=10**8).map(lambda n: f"{n % 9 + 1}0{n}")
    body = st.one_of(digits, indian, toll_free, landline)
    return st.tuples(prefix, body).map("".join)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, derandomize=True)
@given(spellings(), st.sampled_from(REGIONS))
def test_fast_path_agrees_with_phonenumbers(text: str, region: str) -> None:
    fast = fast_e164(text, region)
    if fast is not None:
        assert fast == slow(text, region)
    assert phone.try_normalise.__wrapped__(text, region) == slow(text, region)


def test_fast_path_answers_the_common_spellings() -> None:
    for text in ("+918030240001", "08030240001", "918030240001", "+6561234567", "18002700323"):
        assert fast_e164(text, "IN") is not None, text
    assert {fast_e164(t, "IN") for t in ("+918030240001", "08030240001", "918030240001")} == {
        "+918030240001"
    }


def test_shared_country_codes_go_the_slow_way() -> None:
    assert fast_e164("+12015550123", "US") is None
    assert phone.normalise("+12015550123", "US") == "+12015550123"


def test_every_region_s_rules_compile() -> None:
    # The per-length alternations join phonenumbers' patterns: each must stay a regex.
    from reconciler.manifest.e164 import _rules

    answered = [region for region in sorted(phonenumbers.SUPPORTED_REGIONS) if _rules(region)]
    assert "IN" in answered and "SG" in answered
    for region in answered:
        rules = _rules(region)
        assert rules is not None
        for size in rules.general[0]:
            rules._typed(size)  # compiles, or raises


def test_example_numbers_of_every_region_agree_with_phonenumbers() -> None:
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(11):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            national = phonenumbers.national_significant_number(example)
            for text in (e164, "0" + national, e164[1:], e164 + "1"):
                fast = fast_e164(text, region)
                if fast is not None:
                    assert fast == slow(text, region), (text, region)


def test_a_plus_and_a_zero_is_no_country_code() -> None:
    # "057" reads as the integer 57 (Colombia); phonenumbers reads no country code.
    assert fast_e164("+0573231756800", "IN") is None
    assert phone.try_normalise("+0573231756800", "IN") is None
