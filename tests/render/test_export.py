"""reconciler.render.export: the live account as a manifest that validates and plans to nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.manifest.load import load_manifest
from reconciler.model import Manifest, State
from reconciler.plan.planner import make_plan
from reconciler.render.export import manifest_text
from tests.support.records import ONE, SPARE, TWO, adopted, described, live_url, record


def exported(tmp_path: Path, owned: dict[str, dict[str, Any]], region: str = "mumbai") -> Manifest:
    """Write the exported manifest and load it as `exoplan validate` would."""
    path = tmp_path / "exported.yaml"
    path.write_text(manifest_text("acme1", region, owned), encoding="utf-8")
    return load_manifest(str(path))


def test_exports_the_account_block_flows_and_numbers() -> None:
    assert manifest_text("acme1", "mumbai", described()) == (
        "# exoplan manifest exported from Exotel account acme1.\n"
        "# Review the flow names, commit this file, then adopt the numbers without buying\n"
        "# anything: exoplan import --all -f THIS_FILE\n"
        "# For editor help add: # yaml-language-server: $schema=<path to manifest.schema.json>\n"
        "version: 1\n"
        "account:\n"
        '  sid: "acme1"\n'
        "  region: mumbai\n"
        "flows:\n"
        "  sms-223344:  # used by 1 number(s); rename freely\n"
        "    app_id: 223344\n"
        "  voice-123456:  # used by 2 number(s); rename freely\n"
        "    app_id: 123456\n"
        "numbers:\n"
        '  - number: "+918030240001"\n'
        '    friendly_name: "Support line"\n'
        "    voice_flow: voice-123456\n"
        "    sms_flow: sms-223344\n"
        '  - number: "+918030240002"\n'
        '    friendly_name: "Support overflow"\n'
        "    voice_flow: voice-123456\n"
    )


@pytest.mark.parametrize(
    ("records", "names"),
    [
        pytest.param([{"voice_url": live_url(11)}], {"voice-11": "11"}, id="voice-only"),
        pytest.param([{"sms_url": live_url(22, "start_sms")}], {"sms-22": "22"}, id="sms-only"),
        pytest.param(
            [{"voice_url": live_url(33), "sms_url": live_url(33, "start_sms")}],
            {"flow-33": "33"},
            id="voice-and-sms-on-one-number",
        ),
        pytest.param(
            [{"voice_url": live_url(44)}, {"sms_url": "https://my.exotel.com/exoml/start/44"}],
            {"flow-44": "44"},
            id="voice-on-one-sms-on-another",
        ),
        pytest.param(
            [{"voice_url": live_url(5)}, {"voice_url": "https://my.exotel.com/exoml/start/5"}],
            {"voice-5": "5"},
            id="one-app-two-spellings",
        ),
    ],
)
def test_one_generated_flow_per_distinct_app_id(
    tmp_path: Path, records: list[dict[str, Any]], names: dict[str, str]
) -> None:
    numbers = [ONE, TWO]
    owned = {numbers[i]: record(numbers[i], **fields) for i, fields in enumerate(records)}
    manifest = exported(tmp_path, owned)
    assert {name: flow.app_id for name, flow in manifest.flows.items()} == names


@pytest.mark.parametrize("app_id", ["0123", "007", "0", "9876543210123"])
def test_app_ids_keep_their_digits(tmp_path: Path, app_id: str) -> None:
    owned = {ONE: record(ONE, voice_url=live_url(app_id))}
    manifest = exported(tmp_path, owned)
    assert manifest.flows[f"voice-{app_id}"].app_id == app_id  # not read as octal
    state = State("exported.state.json", "lineage", 1, "acme1", adopted(owned.values(), ()))
    assert make_plan(manifest, state).actions == ()


@pytest.mark.parametrize(
    "url",
    [
        "https://my.exotel.in/acme1/exoml/start_voice/support_ivr",
        "https://hooks.example.com/calls?team=support",
        'https://hooks.example.com/say: "hi" # not a comment',
    ],
)
def test_a_url_without_numeric_app_id_is_left_unmanaged_with_a_comment(
    tmp_path: Path, url: str
) -> None:
    owned = {TWO: record(TWO, friendly_name="Hook", voice_url=url)}
    text = manifest_text("acme1", "mumbai", owned)
    assert "flows: {}\n" in text
    comments = [line for line in text.splitlines() if "names no flow id" in line]
    assert len(comments) == 1
    assert comments[0].startswith("    # voice_url ")
    assert comments[0].endswith(" names no flow id: left unmanaged")
    spec = exported(tmp_path, owned).numbers[TWO]
    assert (spec.friendly_name, spec.voice_flow, spec.sms_flow) == ("Hook", None, None)


@pytest.mark.parametrize(
    "name",
    [
        'Say "hello"',
        "Sales: Mumbai",
        "Desk #2",
        "# all comment",
        "कॉल सेंटर (हिंदी)",
        "support 📞 line",
        "back\\slash and 'single'",
        "",
        "  padded  ",
        "yes",
        "null",
        "123",
        "- dash",
        "tab\there",
        "two\nlines",
        "del\x7fchar",
        "c1\x9bcontrol",
        "next\x85line",
        "line\u2028separator",
        "{not: a mapping}",
        "&anchor *alias !tag %directive @at `tick`",
    ],
)
def test_odd_friendly_names_survive_the_round_trip(tmp_path: Path, name: str) -> None:
    spec = exported(tmp_path, {ONE: record(ONE, friendly_name=name)}).numbers[ONE]
    assert spec.friendly_name == name


def test_a_number_without_friendly_name_gets_no_friendly_name_line(tmp_path: Path) -> None:
    text = manifest_text("acme1", "mumbai", {ONE: record(ONE)})
    assert "friendly_name" not in text
    assert exported(tmp_path, {ONE: record(ONE)}).numbers[ONE].friendly_name is None


@pytest.mark.parametrize("region", ["singapore", "mumbai"])
def test_an_empty_account_still_validates(tmp_path: Path, region: str) -> None:
    text = manifest_text("acme1", region, {})
    assert text.endswith("flows: {}\nnumbers: []\n")
    manifest = exported(tmp_path, {}, region)
    assert (manifest.account.sid, manifest.account.region) == ("acme1", region)
    assert (manifest.flows, manifest.numbers) == ({}, {})


def test_an_odd_account_sid_is_quoted(tmp_path: Path) -> None:
    text = manifest_text("acme: 1 #x", "singapore", {})
    assert yaml.safe_load(text)["account"]["sid"] == "acme: 1 #x"


@pytest.mark.parametrize(
    "name",
    ["evil\u202etxt.exe", "\u2066isolate\u2069", "esc\x1b[31mred", "mark\u200fRTL", "nel\x85"],
)
def test_bidi_and_control_characters_are_written_escaped_and_read_back(
    tmp_path: Path, name: str
) -> None:
    owned = {ONE: record(ONE, friendly_name=name, voice_url=live_url("12\u202e3"))}
    text = manifest_text("acme1", "mumbai", owned)
    assert all(line.isprintable() for line in text.split("\n")), text
    assert (
        exported(tmp_path, {ONE: record(ONE, friendly_name=name)}).numbers[ONE].friendly_name
        == name
    )


def test_output_is_stable_whatever_the_listing_order() -> None:
    owned = {
        **described(),
        SPARE: record(SPARE, voice_url=live_url(9), sms_url=live_url(8, "start_sms")),
    }
    backwards = dict(reversed(list(owned.items())))
    assert manifest_text("acme1", "mumbai", owned) == manifest_text("acme1", "mumbai", backwards)
    lines = manifest_text("acme1", "mumbai", backwards).splitlines()
    listed = [line.split('"')[1] for line in lines if line.startswith("  - number:")]
    assert listed == sorted(owned)


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {SPARE: record(SPARE, friendly_name='Odd: "#1"', voice_url="https://x.test/hook")},
        {
            SPARE: record(
                SPARE,
                voice_url="https://my.exotel.com/exoml/start/345678",
                sms_url="http://my.exotel.com/acme1/exoml/start_sms/345678",
            )
        },
    ],
)
def test_exported_then_adopted_plans_to_no_changes(
    tmp_path: Path, extra: dict[str, dict[str, Any]]
) -> None:
    owned = {**described(), **extra}
    manifest = exported(tmp_path, owned)
    state = State("exported.state.json", "lineage", 1, "acme1", adopted(owned.values(), ()))
    plan = make_plan(manifest, state)
    assert plan.actions == ()
    assert plan.unchanged == len(owned)
