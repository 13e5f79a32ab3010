"""The phonenumbers metadata the E.164 fast path reads, without importing phonenumbers
when it can.

Importing phonenumbers costs more than reading a small manifest. The fast path
(:mod:`~reconciler.manifest.e164`) needs only a little of its metadata: which regions
each country code serves, and per region a few patterns and lengths. ``phonetable``
holds exactly that, generated from a phonenumbers release; it is used only while that
same release is the one installed (its version is read from the package's file,
without importing it). Any other release is asked directly, so the answers are always
those of the phonenumbers installed. Regenerate the table after upgrading:

    python -m reconciler.manifest.phonemeta
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.manifest import phonetable

Lengths = tuple[int, ...]
Desc = tuple[Lengths, str]
#: A region's rules: country code, national prefix for parsing and international
#: prefix (patterns, "" for none), the general description, the lengths that are
#: possible only locally, and the descriptions of the number types that are valid.
Raw = tuple[str, str, str, Desc, Lengths, tuple[Desc, ...]]

#: The number types ``is_valid_number`` accepts (any one matching makes it valid).
TYPES = (
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
_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def rules(region: str) -> Raw | None:
    """The rules of ``region`` (upper case), or None when its numbers are not simple
    enough for the fast path (or it is not a region)."""
    return phonetable.RULES.get(region) if table_is_current() else live_rules(region)


@cache
def country_codes() -> Mapping[int, tuple[str, ...]]:
    """Country calling code -> the regions it serves, main region first."""
    if table_is_current():
        pairs = (item.split(":") for item in phonetable.COUNTRY_CODES.split())
        return {int(code): tuple(regions.split(",")) for code, regions in pairs}
    codes: dict[int, tuple[str, ...]] = _phonenumbers().COUNTRY_CODE_TO_REGION_CODE
    return codes


@cache
def supported_regions() -> frozenset[str]:
    """Every region (ISO 3166-1 alpha-2) phonenumbers knows."""
    if table_is_current():
        return frozenset(phonetable.REGIONS.split())
    return frozenset(_phonenumbers().SUPPORTED_REGIONS)


@cache
def table_is_current() -> bool:
    """True when the shipped table was generated from the phonenumbers installed."""
    return installed_version() == phonetable.PHONENUMBERS_VERSION


def installed_version() -> str | None:
    """The version of the phonenumbers ``import phonenumbers`` would load, read from its
    file (importing it is what this module saves); None when it cannot be read."""
    try:
        spec = importlib.util.find_spec("phonenumbers")
        origin = spec.origin if spec is not None else None
        text = Path(origin).read_text(encoding="utf-8") if origin else ""
    except (ImportError, ValueError, OSError, UnicodeDecodeError):
        return None
    match = _VERSION.search(text)
    return match.group(1) if match else None


def _phonenumbers() -> Any:
    import phonenumbers

    return phonenumbers


def live_rules(region: str) -> Raw | None:
    """``rules`` read from phonenumbers itself."""
    from phonenumbers.phonemetadata import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.country_code is None:
        return None
    if _phonenumbers().COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code) != (region,):
        return None  # shared country codes (+1, +7, +44...) pick a region by leading digits
    if metadata.national_prefix_transform_rule or metadata.general_desc is None:
        return None
    general = _desc(metadata.general_desc)
    if general is None or not general[0]:
        return None
    return (
        str(metadata.country_code),
        metadata.national_prefix_for_parsing or "",
        metadata.international_prefix or "",
        general,
        tuple(sorted(metadata.general_desc.possible_length_local_only or ())),
        tuple(d for d in (_desc(getattr(metadata, name)) for name in TYPES) if d),
    )


def _desc(desc: Any) -> Desc | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return tuple(sorted(desc.possible_length or ())), desc.national_number_pattern


def table_source() -> str:
    """The text of ``phonetable.py``, generated from the phonenumbers installed."""
    phonenumbers = _phonenumbers()
    codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    regions = sorted(set(phonenumbers.SUPPORTED_REGIONS) | {r for rs in codes.values() for r in rs})
    found = {region: live_rules(region) for region in regions}
    pairs = [f"{code}:{','.join(codes[code])}" for code in sorted(codes)]
    lines = [
        f'"""What the E.164 fast path reads of phonenumbers {phonenumbers.__version__}\'s metadata.',
        "",
        "Generated by `python -m reconciler.manifest.phonemeta`; do not edit.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "Desc = tuple[tuple[int, ...], str]",
        "",
        f"PHONENUMBERS_VERSION = {phonenumbers.__version__!r}",
        f"REGIONS = {' '.join(sorted(phonenumbers.SUPPORTED_REGIONS))!r}",
        "#: Each country calling code and its regions, main region first: CODE:REGION,REGION",
        f"COUNTRY_CODES = {' '.join(pairs)!r}",
        "RULES: dict[str, tuple[str, str, str, Desc, tuple[int, ...], tuple[Desc, ...]]] = {",
        *(f"    {region!r}: {raw!r}," for region, raw in found.items() if raw is not None),
        "}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (Path(__file__).parent / "phonetable.py").write_text(table_source(), encoding="utf-8")
