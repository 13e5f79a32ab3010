"""A fast path to the E.164 form of the common spellings of a phone number.

``phonenumbers.parse`` + ``is_valid_number`` are slow per number: a large manifest
would spend more time there than in its YAML parse (``benchmarks/plan_bench.py``
measures plan against that parse). Most numbers are
written in one of four plain shapes: ``+<country code><number>``, the default
country's ``<national prefix><number>`` or its ``<number>`` alone (a toll-free
1800...), or ``<country code><number>`` without the +.
For those, this module reads phonenumbers' own metadata (the same patterns and
lengths ``is_valid_number`` uses, through :mod:`~reconciler.manifest.phonemeta`,
which spares the import of phonenumbers) and answers with a few regular expressions.

It answers only when it can tell that phonenumbers would give the same E.164 form,
and returns None otherwise (any other character, a prefix phonenumbers might strip
or keep, an Italian leading zero, a country code shared by several regions, a number
it finds invalid): the caller then asks phonenumbers. A property test holds the two
to the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from reconciler.manifest import phonemeta

_DIGITS = re.compile(r"\+?[0-9]{2,17}")


@dataclass(frozen=True, slots=True)
class _Rules:
    """What the fast path needs to know of one region."""

    code: str
    national_prefix: re.Pattern[str] | None
    international_prefix: re.Pattern[str] | None
    general: tuple[frozenset[int], re.Pattern[str]]
    local_only: frozenset[int]
    types: tuple[tuple[frozenset[int], str], ...]
    #: Per length of a national number: the alternation of the type patterns that
    #: allow it (one match instead of ten), compiled when a number of that length
    #: first needs it; a country's fixed-line and mobile patterns run to a kilobyte
    #: each, and most manifests need one or two lengths.
    by_length: dict[int, re.Pattern[str] | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    def matches_general(self, digits: str) -> bool:
        return self.general[1].fullmatch(digits) is not None

    def is_valid(self, nsn: str) -> bool:
        lengths, pattern = self.general
        size = len(nsn)
        if size not in lengths or pattern.fullmatch(nsn) is None:
            return False
        try:
            typed = self.by_length[size]
        except KeyError:
            typed = self.by_length[size] = self._typed(size)
        return typed is not None and typed.fullmatch(nsn) is not None

    def _typed(self, size: int) -> re.Pattern[str] | None:
        patterns = [rule for sizes, rule in self.types if not sizes or size in sizes]
        return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    def strips_nothing(self, nsn: str) -> bool:
        """True when phonenumbers keeps ``nsn`` as it is (no prefix, no leading zero)."""
        if nsn[:1] == "0" or len(nsn) in self.local_only:
            return False
        return self.national_prefix is None or self.national_prefix.match(nsn) is None


@lru_cache(maxsize=512)
def _rules(region: str) -> _Rules | None:
    """The region's rules, or None when its numbers are not simple enough to go fast."""
    raw = phonemeta.rules(region)
    if raw is None:
        return None
    code, prefix, idd, (lengths, pattern), local_only, types = raw
    return _Rules(
        code=code,
        national_prefix=re.compile(prefix) if prefix else None,
        international_prefix=re.compile(idd) if idd else None,
        general=(frozenset(lengths), re.compile(pattern)),
        local_only=frozenset(local_only),
        types=tuple((frozenset(sizes), rule) for sizes, rule in types),
    )


#: Country code (as written) -> whether it is one, and its region's rules if simple.
_CODES: dict[str, tuple[bool, _Rules | None]] = {}


def _country(code: str) -> tuple[bool, _Rules | None]:
    known = _CODES.get(code)
    if known is None:
        regions = phonemeta.country_codes().get(int(code))
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
    if digits[:1] == "0":
        return None  # no country code starts with 0 ("+057..." is not Colombia's 57)
    for size in (1, 2, 3):
        is_code, rules = _country(digits[:size])
        if is_code:
            nsn = digits[size:]
            if rules is None or not nsn or not rules.strips_nothing(nsn):
                return None
            return "+" + digits if rules.is_valid(nsn) else None
    return None


def _national(text: str, rules: _Rules) -> str | None:
    """``<national prefix><number>`` in the default country (08030240001 in IN), or a
    national number that no prefix starts (18002700323 in IN)."""
    match = rules.national_prefix.match(text) if rules.national_prefix is not None else None
    if match is None:  # phonenumbers strips nothing: the number is as written
        if not rules.strips_nothing(text):
            return None
        return "+" + rules.code + text if rules.is_valid(text) else None
    if rules.matches_general(text):
        return None  # phonenumbers might keep the prefix as part of the number
    if match.groups() or match.end() == 0:
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
