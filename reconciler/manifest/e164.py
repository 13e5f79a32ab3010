"""A fast path to the E.164 form of the common spellings of a phone number.

``phonenumbers.parse`` + ``is_valid_number`` cost 15-20 µs a number; a manifest of
100,000 numbers spends more time there than in its YAML parse. Most numbers are
written in one of three plain shapes: ``+<country code><number>``, the default
country's ``<national prefix><number>``, or ``<country code><number>`` without the +.
For those, this module reads phonenumbers' own metadata (the same patterns and
lengths ``is_valid_number`` uses) and answers with a few regular expressions.

It answers only when it can tell that phonenumbers would give the same E.164 form,
and returns None otherwise (any other character, a prefix phonenumbers might strip
or keep, an Italian leading zero, a country code shared by several regions, a number
it finds invalid): the caller then asks phonenumbers. A property test holds the two
to the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.phonemetadata import PhoneMetadata

_DIGITS = re.compile(r"\+?[0-9]{2,17}")
#: The number types ``is_valid_number`` accepts (any one matching makes it valid).
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


@dataclass(frozen=True, slots=True)
class _Rules:
    """What the fast path needs to know of one region."""

    code: str
    national_prefix: re.Pattern[str] | None
    international_prefix: re.Pattern[str] | None
    general: re.Pattern[str]
    local_only: frozenset[int]
    #: For each national number length the country has: one pattern that matches
    #: when any number type of that length matches (``is_valid_number``'s test).
    by_length: dict[int, re.Pattern[str]]

    def matches_general(self, digits: str) -> bool:
        return self.general.fullmatch(digits) is not None

    def is_valid(self, nsn: str) -> bool:
        typed = self.by_length.get(len(nsn))
        return (
            typed is not None
            and self.general.fullmatch(nsn) is not None
            and typed.fullmatch(nsn) is not None
        )

    def strips_nothing(self, nsn: str) -> bool:
        """True when phonenumbers keeps ``nsn`` as it is (no prefix, no leading zero)."""
        if nsn[:1] == "0" or len(nsn) in self.local_only:
            return False
        return self.national_prefix is None or self.national_prefix.match(nsn) is None


def _desc(desc: Any) -> tuple[frozenset[int], re.Pattern[str]] | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


@lru_cache(maxsize=512)
def _rules(region: str) -> _Rules | None:
    """The region's rules, or None when its numbers are not simple enough to go fast."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.country_code is None:
        return None
    if COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code) != (region,):
        return None  # shared country codes (+1, +7, +44...) pick a region by leading digits
    if metadata.national_prefix_transform_rule or metadata.general_desc is None:
        return None
    general = _desc(metadata.general_desc)
    if general is None or not general[0]:
        return None
    types = [d for d in (_desc(getattr(metadata, name)) for name in _TYPES) if d]
    prefix = metadata.national_prefix_for_parsing
    idd = metadata.international_prefix
    return _Rules(
        code=str(metadata.country_code),
        national_prefix=re.compile(prefix) if prefix else None,
        international_prefix=re.compile(idd) if idd else None,
        general=general[1],
        local_only=frozenset(metadata.general_desc.possible_length_local_only or ()),
        by_length=_typed_by_length(general[0], types),
    )


def _typed_by_length(
    lengths: frozenset[int], types: list[tuple[frozenset[int], re.Pattern[str]]]
) -> dict[int, re.Pattern[str]]:
    """Per length, the alternation of the type patterns that allow it (a type with no
    lengths of its own allows the general ones): one match instead of ten."""
    by_length = {}
    for length in lengths:
        patterns = [rule.pattern for sizes, rule in types if not sizes or length in sizes]
        if patterns:
            by_length[length] = re.compile("|".join(f"(?:{p})" for p in patterns))
    return by_length


#: Country code (as written) -> whether it is one, and its region's rules if simple.
_CODES: dict[str, tuple[bool, _Rules | None]] = {}


def _country(code: str) -> tuple[bool, _Rules | None]:
    known = _CODES.get(code)
    if known is None:
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(code))
        rules = _rules(regions[0]) if regions is not None and len(regions) == 1 else None
        known = _CODES[code] = (regions is not None, rules)
    return known


def fast_e164(text: str, default_country: str) -> str | None:
    """The E.164 form of ``text`` as phonenumbers reads it, or None to ask phonenumbers."""
    if _DIGITS.fullmatch(text) is None:
        return None
    if text[0] == "+":
        return _international(text[1:])
    rules = _rules(default_country.upper())
    if rules is None:
        return None
    if rules.international_prefix is not None and rules.international_prefix.match(text):
        return None
    if text.startswith(rules.code):
        return _with_own_code(text, rules)
    return _national(text, rules)


def _international(digits: str) -> str | None:
    """``+<code><number>``: the first 1-3 digits that are a country code are it."""
    for size in (1, 2, 3):
        is_code, rules = _country(digits[:size])
        if is_code:
            nsn = digits[size:]
            if rules is None or not nsn or not rules.strips_nothing(nsn):
                return None
            return "+" + digits if rules.is_valid(nsn) else None
    return None


def _national(text: str, rules: _Rules) -> str | None:
    """``<national prefix><number>`` in the default country, e.g. 08030240001 in IN."""
    if rules.national_prefix is None or rules.matches_general(text):
        return None  # phonenumbers might keep the prefix as part of the number
    match = rules.national_prefix.match(text)
    if match is None or match.groups() or match.end() == 0:
        return None
    nsn = text[match.end() :]
    if not nsn or not rules.strips_nothing(nsn):
        return None
    return "+" + rules.code + nsn if rules.is_valid(nsn) else None


def _with_own_code(text: str, rules: _Rules) -> str | None:
    """``<code><number>`` without the +, e.g. 918030240001 in IN: read as international
    when the whole does not fit the country's pattern and the rest does."""
    nsn = text[len(rules.code) :]
    if not nsn or rules.matches_general(text) or not rules.strips_nothing(nsn):
        return None
    if not rules.matches_general(nsn):
        return None
    return "+" + rules.code + nsn if rules.is_valid(nsn) else None
