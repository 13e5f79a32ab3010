"""The fixture manifests under ``tests/fixtures/manifests`` and what each must produce."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.project import REPO

FIXTURES = REPO / "tests" / "fixtures" / "manifests"


def copy_fixture(name: str, folder: Path, as_name: str | None = None) -> Path:
    """Copy ``tests/fixtures/manifests/<name>`` into ``folder``; returns the copy."""
    target = folder / (as_name or name)
    shutil.copyfile(FIXTURES / name, target)
    return target


#: Each failing fixture manifest -> every problem it must produce, in report order:
#: (line, column, a fragment of the message). Shared by the manifest and validate tests.
BAD_MANIFESTS: dict[str, list[tuple[int, int, str]]] = {
    "bad-yaml-syntax.yaml": [
        (7, 11, "YAML syntax error: did not find expected ',' or ']' (while parsing a flow"),
    ],
    "bad-unknown-key.yaml": [
        (
            6,
            5,
            "unknown key 'frendly_name' in numbers[0]: allowed keys are friendly_name, "
            "ignore_changes, number, protect, sms_flow, voice_flow",
        ),
    ],
    "bad-wrong-type.yaml": [(6, 14, "numbers[0].protect must be true or false, not a string")],
    "bad-unquoted-number.yaml": [
        (5, 13, "numbers[0].number must be a string, not a whole number: put it in quotes"),
    ],
    "bad-missing-number.yaml": [(6, 5, "numbers[1] is missing the required key 'number'")],
    "bad-duplicate-key.yaml": [
        (7, 5, "duplicate key 'friendly_name' (first at line 6); YAML would keep only the last"),
    ],
    "bad-invalid-number.yaml": [
        (6, 13, "'12345' is not a valid phone number: write it as +<country code><number>"),
    ],
    "bad-number-extension.yaml": [
        (5, 13, "'+918030240001 ext. 5' is not written as a phone number: use at least six"),
    ],
    "bad-duplicate-number.yaml": [
        (
            7,
            13,
            "'08030240001' is the same number as '+918030240001' at line 5: both are "
            "+918030240001; keep one of the two entries",
        ),
    ],
    "bad-unknown-flow.yaml": [
        (
            9,
            17,
            "unknown flow 'suport-ivr' in voice_flow: define it under flows (known: support-ivr)",
        ),
    ],
    # Three entries share the bad value through a merge: reported once, where it is written.
    "bad-unknown-flow-merged.yaml": [
        (10, 17, "unknown flow 'suport-ivr' in voice_flow: define it under flows"),
    ],
    "bad-app-id.yaml": [(6, 13, "app_id 'support' of flow 'support-ivr' is not numeric")],
    "bad-app-id-negative.yaml": [(6, 13, "app_id of flow 'support-ivr' must be a positive number")],
    "bad-default-country.yaml": [
        (4, 20, "unknown country code 'XX': use an ISO 3166-1 code such as IN or SG"),
    ],
    "bad-region.yaml": [
        (4, 11, "account.region must be one of: singapore, mumbai (not 'delhi')"),
    ],
    "bad-credentials.yaml": [
        (5, 14, "account.credentials.key_env must name an environment variable"),
        (6, 5, "unknown key 'token' in account.credentials: allowed keys are key_env, token_env"),
    ],
    "bad-version.yaml": [(1, 10, "version must be 1, not 2")],
    "bad-ignore-changes.yaml": [
        (
            7,
            37,
            "ignore_changes cannot name 'protect': it takes friendly_name, voice_flow, sms_flow",
        ),
    ],
    "bad-unmanaged-pattern.yaml": [
        (7, 7, 'unmanaged.ignore[1] must be a pattern of an E.164 number such as "+9122*"'),
    ],
    "bad-min-idle-days.yaml": [
        (5, 18, "releases.min_idle_days: 200 is greater than the maximum of 180"),
    ],
    "bad-quarantine-without-flow.yaml": [
        (6, 3, "releases.quarantine_days needs releases.quarantine_flow too"),
    ],
    "bad-empty.yaml": [(1, 1, "the manifest is empty: it needs version, account and numbers")],
    "bad-not-a-mapping.yaml": [
        (1, 1, "the manifest must be a mapping with version, account and numbers"),
    ],
    "bad-not-utf8.yaml": [(6, 1, "not UTF-8 text: save the file as UTF-8")],
    "bad-many.yaml": [
        (4, 3, "unknown key 'colour' in account"),
        (7, 13, "app_id 'ivr' of flow 'support-ivr' is not numeric"),
        (12, 5, "duplicate key 'friendly_name' (first at line 11)"),
        (13, 13, "'not a number' is not a phone number"),
        (14, 13, "'08030240001' is the same number as '+918030240001' at line 9"),
        (15, 15, "unknown flow 'missing-flow' in sms_flow"),
        (16, 5, "numbers[3] is missing the required key 'number'"),
        (17, 14, "numbers[3].protect must be true or false, not a whole number"),
    ],
}
