"""Phone-number identity: every spelling of a number becomes its E.164 form.

phonenumbers is imported only when a number needs it: the spellings the fast path
(:mod:`~reconciler.manifest.e164`) settles, and the list of regions, do without it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from reconciler.errors import shorten
from reconciler.manifest import phonemeta
from reconciler.manifest.e164 import fast_e164
from reconciler.model import DEFAULT_COUNTRY

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber


class InvalidNumber(ValueError):
    """The text is not a valid phone number; the message says why."""


def is_region(code: str) -> bool:
    """True when ``code`` is a region phonenumbers knows (ISO 3166-1 alpha-2)."""
    return code.upper() in phonemeta.supported_regions()


def country_of(e164: str) -> str | None:
    """The ISO country of an E.164 number (IN for +91...), or None when unknown."""
    import phonenumbers
    from phonenumbers import NumberParseException

    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or None
    except NumberParseException:
        return None


def normalise(text: str, default_country: str = DEFAULT_COUNTRY) -> str:
    """Return the E.164 form of ``text``, read with ``default_country`` when it has no +.

    "+918030240001", "918030240001" and "08030240001" are one number: a string of
    digits that starts with the default country's calling code and is too long to be
    a national number is read as international. The common spellings take a fast
    path that gives phonenumbers' answer without its parse (see ``e164``).
    """
    fast = fast_e164(text, default_country)
    if fast is not None:
        return fast
    import phonenumbers

    parsed = _parse(text, default_country)
    if not phonenumbers.is_valid_number(parsed):
        retried = _as_international(text, default_country)
        if retried is not None:
            try:
                return normalise(retried, default_country)
            except InvalidNumber:
                pass
        raise InvalidNumber(f"'{shorten(text)}' is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _parse(text: str, default_country: str) -> PhoneNumber:
    from phonenumbers import NumberParseException, parse

    reasons = {
        NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        NumberParseException.NOT_A_NUMBER: "not a phone number",
        NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        NumberParseException.TOO_SHORT_NSN: "too short",
        NumberParseException.TOO_LONG: "too long",
    }
    try:
        return parse(text, default_country.upper())
    except NumberParseException as exc:
        reason = reasons.get(exc.error_type, str(exc))
        raise InvalidNumber(f"'{shorten(text)}' is not a phone number ({reason})") from exc


def _as_international(text: str, default_country: str) -> str | None:
    """'918030240001' fails as a national number; it is read as +91... only when it
    starts with the default country's calling code (never as another country)."""
    import phonenumbers

    stripped = text.strip()
    code = str(phonenumbers.country_code_for_region(default_country.upper()))
    if stripped.startswith(code):
        return "+" + stripped
    return None


@lru_cache(maxsize=4096)
def try_normalise(text: str, default_country: str = DEFAULT_COUNTRY) -> str | None:
    """E.164 of ``text``, or None when it is not a valid number (for API answers)."""
    try:
        return normalise(text, default_country)
    except InvalidNumber:
        return None


def national(e164: str) -> str:
    """The national spelling Exotel shows by default (e.g. 08030240001)."""
    import phonenumbers

    parsed = phonenumbers.parse(e164, None)
    return (
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        .replace(" ", "")
        .replace("-", "")
    )
