"""reconciler.render.markdown: stable PR comments that stay under GitHub's size limit."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import Action, ActionKind, Change, Drift, Plan
from reconciler.render import markdown
from reconciler.render.markdown import (
    CI_RESERVE,
    COLLAPSE_AFTER,
    COMMENT_LIMIT,
    GITHUB_LIMIT,
    MARKER,
    markdown_text,
    render_markdown,
)
from tests.support import plans
from tests.support.project import LINEAGE

VOICE = "http://my.exotel.com/acme1/exoml/start_voice/123456"
SHA = "0123456789abcdef" * 4


def plan_of(*actions: Action, unchanged: int = 0, lineage: str | None = LINEAGE) -> Plan:
    return plans.plan_of(*actions, unchanged=unchanged, lineage=lineage, manifest_sha256=SHA)


def purchase(number: str, name: str | None = "Support") -> Action:
    flow = {"flow": "ivr", "app_id": "123456", "url": VOICE}
    return Action(
        ActionKind.PURCHASE,
        number,
        name=name,
        changes=(Change("voice_flow", None, flow),),
        params={"VoiceUrl": VOICE},
    )


def update(number: str) -> Action:
    return Action(
        ActionKind.UPDATE,
        number,
        name="Desk",
        changes=(Change("friendly_name", "Old", "Desk"), Change("protect", False, True)),
        params={"FriendlyName": "Desk"},
        sid="sid",
        protect=True,
    )


def release(number: str, price: str | None = "499.000000") -> Action:
    return Action(
        ActionKind.RELEASE,
        number,
        name="Gone",
        sid="sid",
        rental_price=price,
        currency="INR" if price else None,
    )


MIXED = plan_of(
    purchase("+918030240001"), update("+918030240003"), release("+918030240009"), unchanged=2
)


def test_the_comment_has_the_documented_parts() -> None:
    text = markdown_text(MIXED)
    assert text.splitlines()[0] == MARKER == "<!-- exoplan-plan -->"
    assert "### exoplan plan for account `acme1`" in text
    assert "**1 to purchase, 1 to update, 1 to release** (2 unchanged)" in text
    assert "#### Purchase (1)" in text
    assert "| `+918030240001` | Support | ivr (app 123456) |  |  |" in text
    assert "#### Update (1)" in text
    assert (
        '| `+918030240003` | Desk | friendly_name: "Old" → "Desk"<br>protect: false → true |'
        in text
    )
    assert "| `+918030240009` | Gone | 499.00 INR |" in text
    assert text.endswith(
        "<sub>manifest `numbers.yaml` sha256 `0123456789ab` · state serial 7, "
        "lineage `0b7a3f1e`</sub>\n"
    )


def test_the_footer_names_inputs_by_short_hash_and_lineage() -> None:
    footer = markdown_text(MIXED).splitlines()[-1]
    assert SHA not in footer and LINEAGE not in footer  # the full values are in the JSON
    assert f"`{SHA[:12]}`" in footer and f"`{LINEAGE[:8]}`" in footer
    assert len(footer) < 120, "the footer fits one line of a pull-request comment"


def test_releases_are_highlighted() -> None:
    text = markdown_text(MIXED)
    assert "> [!CAUTION]\n> **1 number will be released.**" in text
    assert "Apply needs `--allow-release`." in text
    assert "#### ⚠️ Release (1)" in text
    assert (
        "**Monthly rental:** -499.00 INR, net -499.00 INR/month"
        "<br>1 purchase has no known price (plan --refresh looks prices up)."
    ) in text
    # The warning comes before any table.
    assert text.index("[!CAUTION]") < text.index("#### Purchase")


def test_no_release_no_caution() -> None:
    text = markdown_text(plan_of(purchase("+918030240001")))
    assert "CAUTION" not in text and "⚠️" not in text


def test_release_rentals_are_summed_per_currency() -> None:
    plan = plan_of(
        release("+918030240008"), release("+918030240009", "1.5"), release("+918030240007", None)
    )
    text = markdown_text(plan)
    assert "**Monthly rental:** -500.50 INR, net -500.50 INR/month\n" in text
    assert "| `+918030240007` | Gone | unknown |" in text


def test_no_changes() -> None:
    text = markdown_text(plan_of(unchanged=3, lineage=None))
    assert "**No changes.** 3 numbers match the manifest." in text
    assert "####" not in text
    assert "state serial 0, lineage `none yet`" in text


def test_rendering_is_stable() -> None:
    first, second = io.StringIO(), io.StringIO()
    render_markdown(MIXED, first)
    render_markdown(MIXED, second)
    assert first.getvalue() == second.getvalue() == markdown_text(MIXED)


def test_table_cells_escape_pipes_and_newlines() -> None:
    text = markdown_text(plan_of(purchase("+918030240001", name="A | B\nC")))
    assert "| `+918030240001` | A \\| B\\\\x0aC |" in text


@pytest.mark.parametrize(("count", "folded"), [(COLLAPSE_AFTER, False), (COLLAPSE_AFTER + 1, True)])
def test_long_tables_are_folded(count: int, folded: bool) -> None:
    plan = plan_of(*(purchase(f"+9180302400{i:02d}") for i in range(count)))
    text = markdown_text(plan)
    assert (f"<details><summary><b>Purchase ({count})</b></summary>" in text) is folded
    assert (f"#### Purchase ({count})" in text) is not folded
    assert text.count("| `+9180302400") == count


def huge_plan() -> Plan:
    actions = [purchase(f"+9180{i:08d}", name=f"Desk {i}") for i in range(6000)]
    actions += [update(f"+9181{i:08d}") for i in range(3000)]
    actions += [release(f"+9182{i:08d}") for i in range(3000)]
    return plan_of(*actions)


@pytest.mark.slow
def test_a_huge_plan_leaves_room_under_the_github_limit_for_what_ci_appends() -> None:
    plan = huge_plan()
    text = markdown_text(plan)
    assert GITHUB_LIMIT == 65_536
    assert COMMENT_LIMIT == GITHUB_LIMIT - CI_RESERVE and CI_RESERVE >= 4_000
    assert COMMENT_LIMIT - 500 < len(text) <= COMMENT_LIMIT
    assert text.startswith(MARKER + "\n")
    assert "**6000 to purchase, 3000 to update, 3000 to release**" in text
    assert "**3000 numbers will be released.**" in text
    assert "more rows not shown: the full plan is in the plan artifact" in text
    assert "`exoplan plan --format json`" in text
    assert f"sha256 `{SHA[:12]}`" in text and "state serial 7" in text
    assert text.endswith("</sub>\n")
    shown = text.count("| `+91")
    assert 0 < shown < len(plan.actions)
    assert markdown_text(plan) == text  # stable, even when cut


def test_a_huge_plan_draws_only_the_rows_a_comment_could_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The comment is drawn from the first rows of each table, never from the whole
    plan first: each action's row is drawn at most once, and only a comment's worth."""
    drawn: list[str] = []
    row = markdown._row

    def counted(action: Action) -> str:
        drawn.append(action.number)
        return row(action)

    monkeypatch.setattr(markdown, "_row", counted)
    plan = plan_of(*(purchase(f"+9180{i:08d}") for i in range(30_000)))
    text = markdown_text(plan)
    assert len(drawn) == len(set(drawn))
    assert len(drawn) <= COMMENT_LIMIT // 10 + 1 < len(plan.actions)
    assert text.count("| `+91") <= len(drawn)


def test_a_smaller_limit_cuts_rows_but_never_the_headline_or_footer() -> None:
    plan = plan_of(*(release(f"+9180302400{i:02d}") for i in range(40)))
    full = markdown_text(plan)
    cut = markdown_text(plan, limit=len(full) - 200)
    assert len(cut) <= len(full) - 200
    assert "40 numbers will be released" in cut
    assert "more rows not shown" in cut
    assert cut.endswith("</sub>\n")


def test_a_comment_whose_bare_parts_do_not_fit_is_cut_to_the_limit() -> None:
    # Long values are shortened in cells and code spans, so only a tight limit (CI's
    # room taken by a long warning, say) leaves too little for the bare comment.
    plan = plan_of(purchase("+918030240001", name="x" * 500))
    text = markdown_text(plan, limit=300)
    assert len(text) <= 300
    assert text.startswith(MARKER)
    assert text.endswith("the full plan is in `exoplan plan --format json`._\n")


# -- untrusted values ---------------------------------------------------------------------

#: Characters that matter to Markdown, HTML or a terminal, mixed into generated values.
HOSTILE = "<>!-/|\\`*_[]()&#;:\r\n\t\x1b\x9b\u2028 "
_HOSTILE_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(HOSTILE), st.characters()), max_size=40
) | st.sampled_from(
    [
        "x</details><img src=x onerror=alert(1)>",
        "harmless\r\r<!--",
        "-->",
        "\n#### Release (0)\n| fake | row |",
        "`` `<!--` ``",
    ]
)
#: Tags exoplan itself writes; anything else that looks like a tag came from a value.
OWN_TAGS = re.compile(r"</?(details|summary|b|sub|code)>|<br>")


def hostile_plan(names: list[str], urls: list[str]) -> Plan:
    actions: list[Action] = []
    for i, name in enumerate(names):
        flow = {"flow": name, "app_id": None, "url": urls[i % len(urls)]}
        number = f"+9180302{i:05d}"
        actions.append(
            Action(
                ActionKind.PURCHASE, number, name=name, changes=(Change("voice_flow", None, flow),)
            )
        )
        actions.append(
            Action(
                ActionKind.UPDATE,
                f"+9180303{i:05d}",
                name=name,
                changes=(Change("friendly_name", name, urls[i % len(urls)]),),
                sid="s",
            )
        )
        actions.append(
            Action(
                ActionKind.RELEASE,
                f"+9180304{i:05d}",
                name=name,
                sid="s",
                rental_price=name,
                currency=urls[i % len(urls)],
            )
        )
    drift = tuple(
        Drift(f"+9180305{i:05d}", (Change("voice_flow", url, name),), {"sid": "s"})
        for i, (name, url) in enumerate(zip(names, urls, strict=False))
    )
    return dataclasses.replace(plan_of(*actions), drift=drift, account_sid=names[0])


def table_rows(text: str) -> list[str]:
    return [
        line
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith(("| Number |", "| --- |"))
    ]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    names=st.lists(_HOSTILE_TEXT, min_size=1, max_size=12),
    urls=st.lists(_HOSTILE_TEXT, min_size=1, max_size=4),
)
def test_no_name_or_url_changes_the_structure_of_the_comment(
    names: list[str], urls: list[str]
) -> None:
    plan = hostile_plan(names, urls)
    text = markdown_text(plan)
    rows = table_rows(text)
    assert len(rows) == len(plan.actions) + len(plan.drift)
    for row in rows:  # every row keeps its cells: no value adds or removes a column
        cells = re.split(r"(?<!\\)\|", row.replace("\\\\", ""))
        assert len(cells) - 2 in (2, 3, 4, 5), row
    assert text.count("<details>") == text.count("</details>") == (len(names) > COLLAPSE_AFTER) * 3
    assert text.count("<!--") == 1 and text.count("-->") == 1
    assert text.startswith(MARKER + "\n")
    assert "\r" not in text
    bare = OWN_TAGS.sub("", text.replace(MARKER, ""))
    bare = "\n".join(line.removeprefix("> ") for line in bare.splitlines())
    assert "<" not in bare and ">" not in bare
    assert not any(ch.isprintable() is False for ch in bare.replace("\n", ""))
