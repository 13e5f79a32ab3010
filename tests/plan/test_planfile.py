"""reconciler.plan.planfile: Plan <-> JSON data, and saved plan files."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler.cli.io import save_plan
from reconciler.errors import StateError
from reconciler.manifest.schema import schema
from reconciler.model import Action, ActionKind, Change, Plan
from reconciler.plan.planfile import load_plan, plan_from_data, plan_to_data
from tests.support.project import LINEAGE

VOICE = "http://my.exotel.com/acme1/exoml/start_voice/123456"


def sample_plan(lineage: str | None = LINEAGE, serial: int = 7) -> Plan:
    return Plan(
        actions=(
            Action(
                ActionKind.PURCHASE,
                "+918030240001",
                name="Support",
                changes=(
                    Change("friendly_name", None, "Support"),
                    Change("voice_flow", None, {"flow": "ivr", "app_id": "123456", "url": VOICE}),
                    Change("protect", None, True),
                ),
                params={"FriendlyName": "Support", "VoiceUrl": VOICE},
                protect=True,
            ),
            Action(
                ActionKind.UPDATE,
                "+918030240003",
                name="Nouveau nom é",
                changes=(Change("friendly_name", "Old", "Nouveau nom é"),),
                params={"FriendlyName": "Nouveau nom é"},
                sid="sid3",
            ),
            Action(
                ActionKind.RELEASE,
                "+918030240009",
                name=None,
                sid="sid9",
                rental_price="499.000000",
                currency="INR",
            ),
        ),
        account_sid="acme1",
        region="mumbai",
        manifest_path="numbers.yaml",
        manifest_sha256="ab" * 32,
        state_path="numbers.state.json",
        state_lineage=lineage,
        state_serial=serial,
        unchanged=4,
    )


def errors_of(data: dict[str, Any]) -> list[str]:
    return [e.message for e in Draft202012Validator(schema("plan")).iter_errors(data)]


def test_plan_data_has_the_documented_shape() -> None:
    data = plan_to_data(sample_plan())
    assert data["format"] == "exoplan-plan" and data["version"] == 2
    assert data["account"] == {"sid": "acme1", "region": "mumbai"}
    assert data["manifest"] == {"path": "numbers.yaml", "sha256": "ab" * 32}
    assert data["state"] == {"path": "numbers.state.json", "lineage": LINEAGE, "serial": 7}
    assert data["summary"] == {
        "purchase": 1,
        "update": 1,
        "quarantine": 0,
        "release": 1,
        "unchanged": 4,
    }
    assert [a["action"] for a in data["actions"]] == ["purchase", "update", "release"]
    assert data["actions"][2]["rental"] == {"price": "499.000000", "currency": "INR"}
    assert "rental" not in data["actions"][0]


@pytest.mark.parametrize(("lineage", "serial"), [(LINEAGE, 7), (None, 0)])
def test_plan_data_is_valid_against_the_plan_schema(lineage: str | None, serial: int) -> None:
    assert errors_of(plan_to_data(sample_plan(lineage, serial))) == []


@pytest.mark.parametrize(("lineage", "serial"), [(LINEAGE, 7), (None, 0)])
def test_plan_data_round_trips(lineage: str | None, serial: int) -> None:
    plan = sample_plan(lineage, serial)
    assert plan_from_data(json.loads(json.dumps(plan_to_data(plan)))) == plan


def test_save_and_load_a_plan_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), str(path))
    assert os.listdir(tmp_path) == ["plan.json"]  # no temp file, and never a state file
    assert json.loads(path.read_text(encoding="utf-8")) == plan_to_data(sample_plan())
    assert "Nouveau nom é" in path.read_text(encoding="utf-8")
    assert load_plan(str(path)) == sample_plan()


def test_saving_over_an_existing_plan_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old")
    save_plan(sample_plan(), str(path))
    assert load_plan(str(path)).state_serial == 7


def test_saving_into_a_missing_folder_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "plan.json"
    with pytest.raises(StateError) as raised:
        save_plan(sample_plan(), str(path))
    assert str(raised.value) == f"{path}: could not write the plan file (No such file or directory)"


def mutate(change: Any) -> dict[str, Any]:
    data = plan_to_data(sample_plan())
    change(data)
    return data


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "{path}: plan file not found; create one with `exoplan plan --out {path}`"),
        ("{", "{path}: not a readable exoplan plan file (Expecting property name"),
        ("[]", '{path}: not an exoplan plan file (no "format": "exoplan-plan")'),
        (
            json.dumps({"format": "exoplan-state", "version": 1}),
            '{path}: not an exoplan plan file (no "format": "exoplan-plan")',
        ),
        (
            json.dumps(mutate(lambda d: d.pop("summary"))),
            "{path}: damaged plan file at top level: 'summary' is a required property; "
            "make a new plan",
        ),
        (
            json.dumps(mutate(lambda d: d["actions"][0].__setitem__("number", "08030240001"))),
            "{path}: damaged plan file at actions/0/number: '08030240001' does not match",
        ),
        (
            json.dumps(mutate(lambda d: d["actions"][1].__setitem__("action", "delete"))),
            "{path}: damaged plan file at actions/1/action: 'delete' is not one of",
        ),
        (
            json.dumps(mutate(lambda d: d["manifest"].__setitem__("sha256", "xyz"))),
            "{path}: damaged plan file at manifest/sha256: 'xyz' does not match",
        ),
        (
            json.dumps(mutate(lambda d: d.__setitem__("made_on", "2026-02-30"))),
            "{path}: damaged plan file at made_on: '2026-02-30' is not a day; make a new plan",
        ),
        (
            json.dumps(mutate(lambda d: d["summary"].__setitem__("purchase", 7))),
            "{path}: the plan's summary does not follow from its actions and budget",
        ),
        (
            json.dumps(mutate(lambda d: d.__setitem__("version", 1))),
            "{path}: a plan file of version 1, but this exoplan reads version 2; make a new "
            "plan with `exoplan plan --out {path}`",
        ),
        (
            json.dumps(mutate(lambda d: d["actions"][2].__setitem__("usage", {"calls": "x"}))),
            "{path}: damaged plan file at actions/2/usage: 'last_call' is a required property",
        ),
        (
            json.dumps(mutate(lambda d: d.__setitem__("ignore_usage", ["0803\x1b"]))),
            "{path}: damaged plan file at ignore_usage/0: '0803\\x1b' does not match",
        ),
        (
            json.dumps(mutate(lambda d: d.__setitem__("min_idle_days", 365))),
            "{path}: damaged plan file at min_idle_days: 365 is greater than the maximum of 180",
        ),
    ],
)
def test_a_bad_plan_file_is_an_error_naming_it(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(StateError) as raised:
        load_plan(str(path))
    assert str(raised.value).startswith(message.format(path=path))


def test_a_saved_plan_keeps_the_names_of_the_credentials_variables() -> None:
    plan = dataclasses.replace(sample_plan(), key_env="ACME_KEY", token_env="ACME_TOKEN")
    data = plan_to_data(plan)
    assert data["account"]["credentials"] == {"key_env": "ACME_KEY", "token_env": "ACME_TOKEN"}
    again = plan_from_data(data)
    assert (again.key_env, again.token_env) == ("ACME_KEY", "ACME_TOKEN")


def _set(where: str, value: Any) -> Any:
    """A change of ``mutate`` putting ``value`` at the slash-separated path ``where``."""

    def change(data: Any) -> None:
        *parents, last = where.split("/")
        for key in parents:
            data = data[int(key)] if isinstance(data, list) else data[key]
        data[int(last) if isinstance(data, list) else last] = value

    return change


@pytest.mark.parametrize(
    ("where", "word"),
    [
        ("cost/max_monthly_increase", "NaN"),
        ("actions/2/rental/price", "NaN"),
        ("actions/2/rental", "Infinity"),
        ("breaches", "-Infinity"),
        ("actions/0/changes/1/after/app_id", "NaN"),
        ("actions/0/marks", "Infinity"),
        ("unmanaged", "NaN"),
        ("state/serial", "-Infinity"),
        ("breaches", "1e999"),
    ],
)
def test_a_non_finite_number_in_a_plan_file_is_refused_naming_where(
    tmp_path: Path, where: str, word: str
) -> None:
    # json.dumps writes float("nan") as the bare word NaN (and so on): what an edit puts
    # in a plan file, and what Python's json would read back as a number.
    # A number too large for a float is read as infinity: refused as well.
    value = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
    path = tmp_path / "plan.json"
    text = json.dumps(mutate(_set(where, value.get(word, "huge"))), indent=2)
    path.write_text(text.replace('"huge"', word))
    assert f": {word}" in path.read_text()
    with pytest.raises(StateError) as raised:
        load_plan(str(path))
    assert str(raised.value) == (
        f"{path}: damaged plan file at {where}: {word} is not a finite number (exoplan never "
        "writes one); make a new plan"
    )
