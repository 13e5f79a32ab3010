"""reconciler.manifest.load: YAML -> Manifest, or every problem at once with its location."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from reconciler.errors import Location, ManifestError
from reconciler.manifest.load import load_manifest
from reconciler.model import Account, Flow, NumberSpec
from tests.support.fixtures import BAD_MANIFESTS, FIXTURES
from tests.support.project import REPO, write_manifest


def problems_of(path: str) -> list[tuple[str, str]]:
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    return [(str(p.location), p.message) for p in raised.value.problems]


def test_every_failing_fixture_has_its_expectations() -> None:
    assert sorted(p.name for p in FIXTURES.glob("bad-*.yaml")) == sorted(BAD_MANIFESTS)


@pytest.mark.parametrize("name", sorted(BAD_MANIFESTS))
def test_each_failing_fixture_reports_every_problem_with_its_location(name: str) -> None:
    path = str(FIXTURES / name)
    found = problems_of(path)
    expected = BAD_MANIFESTS[name]
    assert [where for where, _ in found] == [f"{path}:{line}:{col}" for line, col, _ in expected]
    for (_, message), (_, _, fragment) in zip(found, expected, strict=True):
        assert fragment in message


def test_the_error_lines_end_with_a_summary_naming_the_file() -> None:
    path = str(FIXTURES / "bad-many.yaml")
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    lines = raised.value.lines()
    assert len(lines) == len(BAD_MANIFESTS["bad-many.yaml"]) + 1
    assert lines[-1] == f"error: 8 problems in {path}; fix them and run again"
    assert lines[0].startswith(f"{path}:4:3: unknown key 'colour'")


def test_a_single_problem_says_problem() -> None:
    path = str(FIXTURES / "bad-app-id.yaml")
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    assert raised.value.lines()[-1] == f"error: 1 problem in {path}; fix it and run again"


def test_a_missing_manifest_is_named_with_a_hint(tmp_path: Path) -> None:
    path = str(tmp_path / "numbers.yaml")
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    [problem] = raised.value.problems
    assert problem.location == Location(path)
    assert str(problem) == (
        f"{path}: manifest not found: pass -f PATH, or write one (`exoplan export` writes one of a live account)"
    )


def test_an_unreadable_manifest_is_named(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as raised:
        load_manifest(str(tmp_path))  # a directory
    [problem] = raised.value.problems
    assert str(problem) == (
        f"{tmp_path}: the manifest is not a regular file (a folder): pass -f the YAML file itself"
    )


def test_a_good_manifest_is_built_with_normalised_numbers() -> None:
    path = str(FIXTURES / "good-full.yaml")
    manifest = load_manifest(path)
    assert manifest.path == path
    assert manifest.sha256 == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert manifest.account == Account(sid="acme1", region="mumbai", default_country="IN")
    assert manifest.flows == {
        "support-ivr": Flow("support-ivr", "123456"),
        "order-sms": Flow("order-sms", "223344"),
    }
    assert list(manifest.numbers) == ["+918030240001", "+918030240002", "+912240350010"]
    assert manifest.numbers["+918030240001"] == NumberSpec(
        number="+918030240001",
        written="+918030240001",
        index=0,
        friendly_name="Support line",
        voice_flow="support-ivr",
        sms_flow="order-sms",
        protect=True,
    )
    assert manifest.numbers["+918030240002"].written == "08030240002"
    assert manifest.numbers["+912240350010"] == NumberSpec(
        "+912240350010", "912240350010", 2, friendly_name="Sales Mumbai"
    )


def test_defaults_apply_when_left_out() -> None:
    manifest = load_manifest(str(FIXTURES / "good-minimal.yaml"))
    assert manifest.account == Account(sid="acme1", region="singapore", default_country="IN")
    assert manifest.flows == {}
    spec = manifest.numbers["+918030240001"]
    assert (spec.friendly_name, spec.voice_flow, spec.sms_flow, spec.protect) == (
        None,
        None,
        None,
        False,
    )


def test_the_shipped_example_is_valid() -> None:
    manifest = load_manifest(str(REPO / "examples" / "numbers.yaml"))
    assert len(manifest.numbers) == 7
    assert "+918030240002" in manifest.numbers  # written "08030240002"
    assert "+912240350010" in manifest.numbers  # written "912240350010"


@pytest.mark.parametrize(
    ("country", "written", "e164"),
    [
        ("IN", "08030240001", "+918030240001"),
        ("in", "918030240001", "+918030240001"),
        ("SG", "61234567", "+6561234567"),
        ("SG", "+918030240001", "+918030240001"),
    ],
)
def test_default_country_is_used_to_read_numbers(
    tmp_path: Path, country: str, written: str, e164: str
) -> None:
    body = (
        f"version: 1\naccount:\n  sid: a\n  default_country: {country}\n"
        f'numbers:\n  - number: "{written}"\n'
    )
    manifest = load_manifest(str(write_manifest(tmp_path, body)))
    assert list(manifest.numbers) == [e164]
    assert manifest.account.default_country == country.upper()


@pytest.mark.parametrize(
    "spellings",
    [
        ("+918030240001", "918030240001"),
        ("+918030240001", "08030240001"),
        ("918030240001", "08030240001"),
        ("+91 80302 40001", "+918030240001"),
    ],
)
def test_two_spellings_of_one_number_are_a_duplicate_naming_both_lines(
    tmp_path: Path, spellings: tuple[str, str]
) -> None:
    first, second = spellings
    body = (
        "version: 1\naccount:\n  sid: a\nnumbers:\n"
        f'  - number: "{first}"\n  - friendly_name: x\n    number: "{second}"\n'
    )
    path = write_manifest(tmp_path, body)
    assert problems_of(str(path)) == [
        (
            f"{path}:7:13",
            f"'{second}' is the same number as '{first}' at line 5: both are +918030240001; "
            "keep one of the two entries",
        )
    ]


def test_a_number_invalid_in_the_default_country_is_reported(tmp_path: Path) -> None:
    body = 'version: 1\naccount:\n  sid: a\n  default_country: SG\nnumbers:\n  - number: "08030240001"\n'
    path = write_manifest(tmp_path, body)
    [(where, message)] = problems_of(str(path))
    assert where == f"{path}:6:13"
    assert message.startswith("'08030240001' is not a valid phone number")


@pytest.mark.parametrize(
    ("app_id", "fragment"),
    [
        ('"12a"', "app_id '12a' of flow 'ivr' is not numeric"),
        ('"١٢٣"', "app_id '١٢٣' of flow 'ivr' is not numeric"),
        ('""', "app_id '' of flow 'ivr' is not numeric"),
        ("0", "app_id of flow 'ivr' must be a positive number"),
        ("true", "flows.ivr.app_id must be a whole number or a string, not true or false"),
        ("1.5", "flows.ivr.app_id must be a whole number or a string, not a number"),
    ],
)
def test_app_ids_must_be_positive_ascii_numbers(tmp_path: Path, app_id: str, fragment: str) -> None:
    body = (
        f"version: 1\naccount:\n  sid: a\nflows:\n  ivr:\n    app_id: {app_id}\n"
        'numbers:\n  - number: "+918030240001"\n    voice_flow: ivr\n'
    )
    path = write_manifest(tmp_path, body)
    found = problems_of(str(path))
    assert len(found) == 1, found  # reported once, not by both the schema and the checks
    assert found[0][0] == f"{path}:6:13"
    assert fragment in found[0][1]


@pytest.mark.parametrize(("app_id", "kept"), [('" 123 "', "123"), ("123", "123"), ('"042"', "042")])
def test_app_ids_are_kept_as_strings(tmp_path: Path, app_id: str, kept: str) -> None:
    body = f"version: 1\naccount:\n  sid: a\nflows:\n  ivr:\n    app_id: {app_id}\nnumbers: []\n"
    assert load_manifest(str(write_manifest(tmp_path, body))).flows["ivr"].app_id == kept


def test_a_malformed_default_country_is_reported_once(tmp_path: Path) -> None:
    body = "version: 1\naccount:\n  sid: a\n  default_country: IND\nnumbers: []\n"
    path = write_manifest(tmp_path, body)
    assert problems_of(str(path)) == [
        (
            f"{path}:4:20",
            "account.default_country must be a two-letter country code such as IN, not 'IND'",
        )
    ]


def test_flow_references_are_checked_for_both_voice_and_sms(tmp_path: Path) -> None:
    body = (
        "version: 1\naccount:\n  sid: a\nnumbers:\n"
        '  - number: "+918030240001"\n    voice_flow: a\n    sms_flow: b\n'
    )
    path = write_manifest(tmp_path, body)
    assert problems_of(str(path)) == [
        (
            f"{path}:6:17",
            "unknown flow 'a' in voice_flow: define it under flows (known: none defined)",
        ),
        (
            f"{path}:7:15",
            "unknown flow 'b' in sms_flow: define it under flows (known: none defined)",
        ),
    ]


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_bytes(b"\xef\xbb\xbfversion: 1\naccount:\n  sid: a\nnumbers: []\n")
    assert load_manifest(str(path)).numbers == {}


def test_the_sha256_covers_the_exact_bytes(tmp_path: Path) -> None:
    first = write_manifest(tmp_path, "version: 1\naccount: {sid: a}\nnumbers: []\n", "a.yaml")
    second = write_manifest(tmp_path, "version: 1\naccount: {sid: a}\nnumbers: []  \n", "b.yaml")
    assert load_manifest(str(first)).sha256 != load_manifest(str(second)).sha256


def test_many_entries_of_one_shape_are_all_checked(tmp_path: Path) -> None:
    lines = [f'  - number: "+9180302{i:05d}"\n    protect: true\n' for i in range(200)]
    lines[150] = '  - number: "+918030200150"\n    protect: "true"\n'
    path = write_manifest(tmp_path, "version: 1\naccount: {sid: a}\nnumbers:\n" + "".join(lines))
    assert problems_of(str(path)) == [
        (f"{path}:305:14", "numbers[150].protect must be true or false, not a string")
    ]


BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f"version: 1\naccount: {{sid: acme1}}\n{BOMB}numbers: []\n", ":"),
        ("version: 1\naccount: {sid: acme1}\nnumbers: &n [*n]\n", ":3:10: YAML aliases make"),
    ],
)
def test_an_alias_bomb_is_refused_at_once_with_a_location(
    tmp_path: Path, text: str, where: str
) -> None:
    path = write_manifest(tmp_path, text)
    with pytest.raises(ManifestError) as raised:
        load_manifest(str(path))  # without the refusal: billions of nodes, memory exhausted
    [problem] = raised.value.problems
    assert f"{path}{where}" in str(problem) and "YAML aliases" in str(problem)
    assert problem.location.line > 0 and len(str(problem)) < 300


def test_merge_keys_that_repeat_defaults_on_every_entry_are_fine(tmp_path: Path) -> None:
    entries = "".join(f'  - {{<<: *d, number: "+9180302{i:05d}"}}\n' for i in range(2000))
    text = (
        "version: 1\naccount: {sid: acme1}\nflows: {f: {app_id: 1}}\n"
        "defaults: &d {voice_flow: f, sms_flow: f, friendly_name: Desk}\n"
    )
    path = write_manifest(
        tmp_path, text.replace("defaults: ", "x-defaults: ") + "numbers:\n" + entries
    )
    with pytest.raises(ManifestError) as raised:  # x-defaults is an unknown key, nothing else
        load_manifest(str(path))
    assert all("unknown key 'x-defaults'" in p.message for p in raised.value.problems)


def test_an_oversized_manifest_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    with open(path, "wb") as handle:
        handle.truncate((64 << 20) + 1)  # sparse: nothing to read, only its size
    with pytest.raises(ManifestError) as raised:
        load_manifest(str(path))
    assert str(raised.value.problems[0]) == (
        f"{path}: the manifest is larger than 64 MiB (64 MiB): pass -f the YAML file itself"
    )


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_manifest_that_is_not_a_regular_file_is_refused_at_once(
    tmp_path: Path, kind: str
) -> None:
    path = "/dev/zero" if kind == "device" else str(tmp_path / "numbers.yaml")
    if kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    assert "the manifest is not a regular file" in str(raised.value.problems[0])


def test_values_quoted_in_messages_are_shortened(tmp_path: Path) -> None:
    path = write_manifest(
        tmp_path, f"version: 1\naccount: {{sid: acme1, {'k' * 70000}: 1}}\nnumbers: []\n"
    )
    with pytest.raises(ManifestError) as raised:
        load_manifest(str(path))
    assert all(len(p.message) < 400 for p in raised.value.problems)


def test_flow_host_defaults_to_my_exotel_com(tmp_path: Path) -> None:
    body = "version: 1\naccount:\n  sid: a\nnumbers: []\n"
    assert load_manifest(str(write_manifest(tmp_path, body))).account.flow_host == "my.exotel.com"


def test_flow_host_is_read(tmp_path: Path) -> None:
    body = "version: 1\naccount:\n  sid: a\n  flow_host: My.In.Exotel.com\nnumbers: []\n"
    manifest = load_manifest(str(write_manifest(tmp_path, body)))
    assert manifest.account.flow_host == "my.in.exotel.com"


@pytest.mark.parametrize(
    "host", ["https://my.exotel.com", "my.exotel.com/x", "my.exotel.com:443", "localhost", "a b"]
)
def test_flow_host_must_be_a_host_name_only(tmp_path: Path, host: str) -> None:
    body = f"version: 1\naccount:\n  sid: a\n  flow_host: '{host}'\nnumbers: []\n"
    path = write_manifest(tmp_path, body)
    assert problems_of(str(path)) == [
        (
            f"{path}:4:14",
            "account.flow_host must be a host name such as my.in.exotel.com "
            f"(no scheme, port or path), not {host!r}",
        )
    ]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ci:hunter2@db/ops?name=prod",
        "postgresql://ci@db/ops?name=prod&password=hunter2",
        "postgresql://ci@db/ops?name=prod&%70assword=hunter2",
        "postgresql://ci@db/ops?sslpassword=hunter2&name=prod",
        "host=db dbname=ops password=hunter2",
    ],
)
def test_a_password_in_the_state_url_is_refused_in_every_spelling(tmp_path: Path, url: str) -> None:
    body = f"version: 1\naccount:\n  sid: a\nnumbers: []\nstate:\n  url: '{url}'\n"
    path = write_manifest(tmp_path, body)
    ((where, message),) = problems_of(str(path))
    assert where == f"{path}:6:8"
    assert message.startswith("the state URL must not hold a password")
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "sid", ["acme/../x?y", "acme\\n", "acme 1", "acme#1", "ácme", "a\u202eb", "a.b"]
)
def test_an_account_sid_is_letters_digits_dashes_and_underscores(tmp_path: Path, sid: str) -> None:
    body = f'version: 1\naccount:\n  sid: "{sid}"\nnumbers: []\n'
    path = write_manifest(tmp_path, body)
    ((where, message),) = problems_of(str(path))
    assert where == f"{path}:3:8"
    assert message.startswith("account.sid must be letters, digits, - and _ only")


def test_a_usual_account_sid_is_accepted(tmp_path: Path) -> None:
    body = "version: 1\naccount:\n  sid: Acme_corp-2\nnumbers: []\n"
    assert load_manifest(str(write_manifest(tmp_path, body))).account.sid == "Acme_corp-2"


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", ".Inf"])
@pytest.mark.parametrize("key", ["max_release_percent", "max_update_percent"])
def test_numbers_in_the_manifest_are_finite(tmp_path: Path, key: str, value: str) -> None:
    body = f"version: 1\naccount:\n  sid: a\nsafety:\n  {key}: {value}\nnumbers: []\n"
    path = write_manifest(tmp_path, body)
    ((where, message),) = problems_of(str(path))
    assert where == f"{path}:5:{len(key) + 5}"
    assert message.startswith(f"safety.{key} must be a finite number")


@pytest.mark.parametrize(
    ("releases", "expected", "quarantine"),
    [
        ("", 30, False),
        ("releases:\n  min_idle_days: 0\n", 0, False),
        ("releases:\n  min_idle_days: 180\n", 180, False),
        ("releases:\n  quarantine_flow: r\n  quarantine_days: 3\n", 30, True),
    ],
)
def test_min_idle_days_defaults_to_30_and_stands_without_a_quarantine(
    tmp_path: Path, releases: str, expected: int, quarantine: bool
) -> None:
    text = "version: 1\naccount:\n  sid: acme1\nflows:\n  r:\n    app_id: 9\n"
    path = write_manifest(tmp_path, text + releases + "numbers: []\n")
    manifest = load_manifest(str(path))
    assert manifest.min_idle_days == expected
    assert (manifest.releases is not None) is quarantine


def test_account_credentials_name_the_variables_and_default_to_exotels(tmp_path: Path) -> None:
    plain = load_manifest(str(FIXTURES / "good-minimal.yaml")).account
    assert (plain.key_env, plain.token_env) == ("EXOTEL_API_KEY", "EXOTEL_API_TOKEN")
    text = (
        "version: 1\naccount:\n  sid: acme1\n  credentials:\n"
        "    key_env: ACME_KEY\n    token_env: ACME_TOKEN\nnumbers: []\n"
    )
    account = load_manifest(str(write_manifest(tmp_path, text))).account
    assert (account.key_env, account.token_env) == ("ACME_KEY", "ACME_TOKEN")


def test_a_secret_pasted_as_a_credentials_variable_is_refused_without_echoing_it(
    tmp_path: Path,
) -> None:
    secret = "9f8e7d6c5b4a-secret-token"
    text = f"version: 1\naccount:\n  sid: acme1\n  credentials:\n    token_env: {secret}\nnumbers: []\n"
    path = write_manifest(tmp_path, text)
    [(where, message)] = problems_of(str(path))
    assert where == f"{path}:5:16"
    assert "account.credentials.token_env must name an environment variable" in message
    assert secret not in message
