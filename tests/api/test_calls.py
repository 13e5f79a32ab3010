"""reconciler.api: the commands as library calls. They print nothing, tell their caller
through callbacks, and apply sends nothing until the caller's confirmation returns.
Against the sandbox on 127.0.0.1, as a program would drive them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import api
from reconciler.errors import ExoplanError, ManifestError, UnsafePlanError
from reconciler.model import ApplyResult, Plan
from reconciler.sandbox.server import Sandbox
from tests.support.project import JOURNAL, MANIFEST, STATE, journal_record, snapshot, write_journal
from tests.support.records import ONE, TWO, adopted, described, make_project, seed
from tests.support.sandbox import new_sandbox, only_reads

FAST = api.ApiOptions(rate_limit=0, read_rate_limit=0, timeout=5)


def point_at(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)


def test_plan_prints_nothing_and_warns_through_its_callback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path, adopted([described()[ONE]]))
    write_journal(tmp_path / JOURNAL, [journal_record("intent", TWO)])
    warnings: list[str] = []
    plan = api.plan(api.PlanOptions(manifest=str(tmp_path / MANIFEST)), warnings.append)
    assert [(a.kind.value, a.number) for a in plan.actions] == [("purchase", TWO)]
    assert len(warnings) == 1 and "interrupted apply" in warnings[0]
    assert capsys.readouterr() == ("", "")


def test_validate_raises_every_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text("version: 1\naccount: {}\ncolour: red\n")
    with pytest.raises(ManifestError) as raised:
        api.validate(str(tmp_path / MANIFEST))
    assert len(raised.value.lines()) >= 2


def test_apply_sends_nothing_when_the_confirmation_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path, adopted([described()[ONE]]))
    before = snapshot(tmp_path)
    shown: list[Plan] = []

    def refuse(plan: Plan) -> None:
        raise ExoplanError("not today")

    hooks = api.ApplyHooks(show=shown.append, confirm=refuse)
    with new_sandbox(seed({TWO: None})) as sandbox:
        point_at(sandbox, monkeypatch)
        options = api.ApplyOptions(manifest=str(tmp_path / MANIFEST), api=FAST)
        with pytest.raises(ExoplanError, match="not today"):
            api.apply(options, hooks)
        assert only_reads(sandbox)
    assert [a.number for a in shown[0].actions] == [TWO]
    assert snapshot(tmp_path) == before


def test_apply_runs_the_plan_and_returns_each_outcome(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_project(tmp_path, adopted([described()[ONE]]))
    heard: list[str] = []
    with new_sandbox(seed({TWO: None})) as sandbox:
        point_at(sandbox, monkeypatch)

        def run(execution: api.Execution) -> ApplyResult:
            return execution.start(lambda outcome: heard.append(outcome.action.number), None)

        options = api.ApplyOptions(manifest=str(tmp_path / MANIFEST), api=FAST)
        applied = api.apply(options, api.ApplyHooks(run=run))
        assert sandbox.purchases == {TWO: 1}
    assert applied.result is not None and applied.result.counts()["purchased"] == 1
    assert heard == [TWO]
    assert capsys.readouterr() == ("", "")
    again = api.apply(api.ApplyOptions(manifest=str(tmp_path / MANIFEST), api=FAST))
    assert again.result is None and not again.plan.has_changes


def test_apply_refuses_a_release_through_the_one_safety_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = {**described()[TWO], "phone_number": "+918030240099", "sid": "sid0099"}
    make_project(tmp_path, adopted([*described().values(), extra], protect=()))
    before = snapshot(tmp_path)
    with new_sandbox(seed(extra=[extra])) as sandbox:
        point_at(sandbox, monkeypatch)
        options = api.ApplyOptions(manifest=str(tmp_path / MANIFEST), api=FAST)
        with pytest.raises(UnsafePlanError, match="allow-release"):
            api.apply(options)
        assert only_reads(sandbox)
    assert snapshot(tmp_path) == before
    assert (tmp_path / STATE).exists()
