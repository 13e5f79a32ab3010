"""reconciler.render.text: Plan -> text (Terraform style, colour optional)."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import pytest

from reconciler.model import Action, ActionKind, Change, Plan
from reconciler.render.text import money, render_text, value_text
from tests.support.plans import PURCHASE, RELEASE, UPDATE, VOICE, plan_of

ANSI = re.compile(r"\033\[[0-9;]*m")


def text(plan: Plan, color: bool = False) -> str:
    out = io.StringIO()
    render_text(plan, out, color=color)
    return out.getvalue()


def test_text_shows_every_action_kind_terraform_style() -> None:
    assert text(plan_of(PURCHASE, UPDATE, RELEASE, unchanged=2)) == (
        "exoplan will change account acme1:\n"
        "\n"
        '  + purchase +918030240001  "Support line"\n'
        "        voice_flow: support-ivr (app 123456)\n"
        "        protect: true\n"
        '  ~ update   +918030240003  "New name"\n'
        '        friendly_name: "Old name" -> "New name"\n'
        "        voice_flow: https://example.com/hook -> support-ivr (app 123456)\n"
        "  - release  +918030240009  (rental 499.00 INR/month)\n"
        "        calls in the last 30 days are checked at apply\n"
        "\n"
        "Plan: 1 to purchase, 1 to update, 1 to release. 2 unchanged.\n"
        "Monthly rental: -499.00 INR, net -499.00 INR/month\n"
        "1 purchase has no known price (plan --refresh looks prices up).\n"
        "Warning: 1 number will be released. A released number is gone for good; "
        "apply refuses releases unless given --allow-release.\n"
    )


@pytest.mark.parametrize(
    ("unchanged", "line"),
    [
        (0, "No changes. 0 numbers match the manifest.\n"),
        (1, "No changes. 1 number matches the manifest.\n"),
        (7, "No changes. 7 numbers match the manifest.\n"),
    ],
)
def test_no_changes_says_so(unchanged: int, line: str) -> None:
    assert text(plan_of(unchanged=unchanged)) == line


def test_the_release_warning_counts_releases() -> None:
    other = Action(ActionKind.RELEASE, "+918030240008")
    output = text(plan_of(RELEASE, other))
    assert "Warning: 2 numbers will be released." in output
    assert "  - release  +918030240008\n" in output  # no rental known: none shown


def test_no_release_no_warning() -> None:
    assert "Warning" not in text(plan_of(PURCHASE))


def test_colour_marks_signs_and_the_release_warning() -> None:
    coloured = text(plan_of(PURCHASE, UPDATE, RELEASE), color=True)
    assert "\033[32m+\033[0m purchase" in coloured
    assert "\033[33m~\033[0m update" in coloured
    assert "\033[31m-\033[0m release" in coloured
    assert "\033[1;31mWarning: 1 number will be released." in coloured
    assert ANSI.sub("", coloured) == text(plan_of(PURCHASE, UPDATE, RELEASE))


def test_no_colour_means_no_escape_codes() -> None:
    assert "\033" not in text(plan_of(PURCHASE, UPDATE, RELEASE), color=False)


def test_names_are_json_quoted() -> None:
    action = Action(ActionKind.PURCHASE, "+918030240001", name='Desk "A" é')
    assert '  + purchase +918030240001  "Desk \\"A\\" é"\n' in text(plan_of(action))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "(none)"),
        (True, "true"),
        (False, "false"),
        ("Desk", '"Desk"'),
        ({"flow": "ivr", "app_id": "1", "url": "u"}, "ivr (app 1)"),
        ({"flow": None, "app_id": "1", "url": "u"}, "app 1"),
        ({"flow": None, "app_id": None, "url": "https://x/y"}, "https://x/y"),
        ({"flow": None, "app_id": None, "url": None}, "(none)"),
    ],
)
def test_value_text(value: Any, shown: str) -> None:
    assert value_text(value) == shown


@pytest.mark.parametrize(
    ("price", "currency", "shown"),
    [
        ("499.000000", "INR", "499.00 INR"),
        ("0.5", "USD", "0.50 USD"),
        ("499", None, "499.00"),
        ("n/a", "INR", "n/a INR"),
    ],
)
def test_money(price: str | None, currency: str | None, shown: str) -> None:
    assert money(price, currency) == shown


def test_values_from_exotel_or_the_state_cannot_steer_the_terminal() -> None:
    evil = "\x1b]0;owned\x07\x9b2J\r"
    update = Action(
        ActionKind.UPDATE,
        "+918030240003",
        name=evil,
        changes=(
            Change(
                "voice_flow",
                {"flow": None, "app_id": None, "url": "https://x/" + evil},
                {"flow": "support-ivr", "app_id": "123456", "url": VOICE},
            ),
        ),
        params={"VoiceUrl": VOICE},
        sid="sid3",
    )
    release = Action(
        ActionKind.RELEASE, "+918030240009", name=evil, sid="s", rental_price=evil, currency=evil
    )
    shown = text(plan_of(update, release))
    assert not any(not ch.isprintable() for ch in shown.replace("\n", ""))
    assert "\\x1b]0;owned\\x07\\x9b2J\\x0d" in shown


@pytest.mark.parametrize("price", [{"a": 1}, ["1"], "1e999999999", "NaN", "9" * 5000, True])
def test_a_rental_that_is_not_a_sane_amount_is_shown_as_written_and_shortened(
    price: Any,
) -> None:
    shown = money(price, "INR")
    assert len(shown) < 60 and shown.endswith(" INR")


def test_the_over_budget_line_escapes_a_currency_from_exotel() -> None:
    evil = "INR\u202e\x1b[2J"
    bought = dataclasses.replace(PURCHASE, rental_price="900", currency=evil)
    plan = dataclasses.replace(plan_of(bought), max_monthly_increase="100")
    shown = text(plan)
    assert "Over budget:" in shown
    assert all(line.isprintable() for line in shown.split("\n")), shown
    assert "INR\\u202e\\x1b[2J" in shown


@pytest.mark.parametrize(
    ("actions", "line"),
    [
        ((("purchase", "499"),), "Monthly rental: +499.00 INR, net +499.00 INR/month"),
        ((("release", "499"),), "Monthly rental: -499.00 INR, net -499.00 INR/month"),
        (
            (("purchase", "499.004"), ("release", "499.006")),
            "Monthly rental: +499.00 INR, -499.01 INR, net 0.00 INR/month",
        ),
        ((("release", "0.001"),), "Monthly rental: net 0.00 INR/month"),
    ],
)
def test_the_rental_line_never_shows_a_negative_zero(
    actions: tuple[tuple[str, str], ...], line: str
) -> None:
    made = [
        dataclasses.replace(
            PURCHASE if kind == "purchase" else RELEASE,
            number=f"+91803024000{index}",
            rental_price=price,
            currency="INR",
        )
        for index, (kind, price) in enumerate(actions)
    ]
    shown = text(plan_of(*made))
    assert line + "\n" in shown
    assert "-0.00" not in shown


def test_money_never_rounds_a_price_below_zero_into_one() -> None:
    # Below zero is no price (plan/cost.py): shown as Exotel gave it, never as "-0.00"
    # or "0.00", which would read as a real, free rental.
    assert money("-0.001", "INR") == "-0.001 INR"
    assert money("0.001", "INR") == "0.00 INR"
