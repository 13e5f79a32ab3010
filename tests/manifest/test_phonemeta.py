"""reconciler.manifest.phonemeta: the shipped table is phonenumbers' metadata, as the
release installed has it, and the fast path answers alike from either source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import pytest

from reconciler.manifest import e164, phonemeta, phonetable
from reconciler.manifest.e164 import fast_e164
from reconciler.manifest.numbers import is_region

REGENERATE = "regenerate it with `python -m reconciler.manifest.phonemeta`"


def _clear_caches() -> None:
    for cached in (phonemeta.table_is_current, phonemeta.country_codes):
        cached.cache_clear()
    phonemeta.supported_regions.cache_clear()
    e164._rules.cache_clear()


@pytest.fixture
def without_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if the phonenumbers installed were not the one the table was made from."""
    _clear_caches()
    monkeypatch.setattr(phonetable, "PHONENUMBERS_VERSION", "0.0.0")
    yield
    monkeypatch.undo()
    _clear_caches()


def test_the_installed_version_is_read_without_importing() -> None:
    assert phonemeta.installed_version() == phonenumbers.__version__


def test_the_table_is_what_the_generator_writes_for_the_release_installed() -> None:
    # A phonenumbers release the table does not come from is read directly (correct,
    # but it costs start-up the import of phonenumbers): this test says so at once.
    shipped = Path(phonetable.__file__).read_text(encoding="utf-8")
    assert phonetable.PHONENUMBERS_VERSION == phonenumbers.__version__, REGENERATE
    assert shipped == phonemeta.table_source(), REGENERATE
    assert phonemeta.table_is_current()


def test_the_table_answers_what_phonenumbers_answers() -> None:
    assert dict(phonemeta.country_codes()) == phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    assert phonemeta.supported_regions() == phonenumbers.SUPPORTED_REGIONS
    for region in [*sorted(phonenumbers.SUPPORTED_REGIONS), "001", "ZZ", "XX", ""]:
        assert phonemeta.rules(region) == phonemeta.live_rules(region), region


@pytest.mark.usefixtures("without_table")
def test_without_a_current_table_phonenumbers_is_asked() -> None:
    assert not phonemeta.table_is_current()
    assert phonemeta.supported_regions() == phonenumbers.SUPPORTED_REGIONS
    assert fast_e164("+918030240001", "IN") == "+918030240001"
    assert fast_e164("18002700323", "IN") == "+9118002700323"
    assert is_region("sg") and not is_region("ZZ")


SPELLINGS = ["+918030240001", "08030240001", "918030240001", "18002700323", "+6561234567"]
SPELLINGS += ["61234567", "+0573231756800", "+12015550123", "0091 8030240001", "8030"]


@pytest.mark.parametrize("region", ["IN", "SG", "GB", "US", "AE", "MY", "ID", "IT"])
def test_the_fast_path_answers_alike_from_either_source(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_caches()
    from_table = [fast_e164(text, region) for text in SPELLINGS]
    monkeypatch.setattr(phonetable, "PHONENUMBERS_VERSION", "0.0.0")
    _clear_caches()
    try:
        assert [fast_e164(text, region) for text in SPELLINGS] == from_table
    finally:
        monkeypatch.undo()
        _clear_caches()
