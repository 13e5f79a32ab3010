"""Where a database password goes, end to end through ``python -m reconciler``.

A password in a state URL (user info, ``?password=``) is never shown or saved; a
manifest or a saved plan never chooses where a password from the environment is sent:
a fake server that asks for a cleartext password must receive none that way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.fakepg import fake_postgres
from tests.support.postgres import DATABASE, PASSWORD, USER, PgServer, unique_name
from tests.support.project import STATE, numbers, write_manifest
from tests.support.records import ONE, TWO, adopted, described, make_project, seed
from tests.support.run import FAST, exoplan
from tests.support.sandbox import new_sandbox

ENV_SECRET = "Env-pw-9c1d7e"


def _query_url(pg: PgServer, name: str) -> str:
    return f"postgresql://{USER}@{pg.host}:{pg.port}/{DATABASE}?name={name}&password={PASSWORD}"


def test_a_password_in_the_url_query_is_never_shown_or_saved(pg: PgServer, tmp_path: Path) -> None:
    url = _query_url(pg, unique_name())
    make_project(tmp_path, adopted([described()[ONE]]))
    env = {"EXOPLAN_STATE": url}
    migrated = exoplan(None, tmp_path, "state", "migrate", "--state", STATE, "--to", url)
    assert migrated.code == 0, migrated.output
    saved = exoplan(None, tmp_path, "plan", "--out", "plan.json", env=env)
    assert saved.code == 0, saved.output
    as_json = exoplan(None, tmp_path, "plan", "--format", "json", env=env)
    assert json.loads(as_json.stdout)["state"]["path"].startswith("postgresql://")
    with new_sandbox(seed()) as sandbox:
        imported = exoplan(sandbox, tmp_path, "import", TWO, *FAST, env=env)
    assert imported.code == 0, imported.output
    bogus = exoplan(None, tmp_path, "plan", env={"EXOPLAN_STATE": url + "&sslmode=bogus"})
    assert bogus.code == 1 and "sslmode" in bogus.stderr, bogus.output
    plan_file = (tmp_path / "plan.json").read_text(encoding="utf-8")
    for text in (migrated, saved, as_json, imported, bogus, plan_file):
        assert PASSWORD not in str(text)


def test_a_manifest_state_url_gets_no_password_from_the_environment(tmp_path: Path) -> None:
    write_manifest(tmp_path, numbers(1))
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:*:{ENV_SECRET}\n", encoding="utf-8")
    pgpass.chmod(0o600)
    with fake_postgres() as fake:
        manifest = tmp_path / "numbers.yaml"
        manifest.write_text(
            manifest.read_text(encoding="utf-8") + f"state:\n  url: {fake.url()}\n",
            encoding="utf-8",
        )
        for command in ("plan", "drift", "state list"):
            for env in ({"PGPASSWORD": ENV_SECRET}, {"PGPASSFILE": str(pgpass)}):
                result = exoplan(None, tmp_path, *command.split(), env=env)
                assert result.code == 1, result.output
                assert "EXOPLAN_STATE" in result.stderr and "Traceback" not in result.stderr
        assert fake.connections == 6  # it was asked, and sent nothing
        assert fake.passwords == []
        # The same location given by EXOPLAN_STATE is trusted with the password.
        trusted = exoplan(
            None, tmp_path, "plan", env={"PGPASSWORD": ENV_SECRET, "EXOPLAN_STATE": fake.url()}
        )
        assert trusted.code == 1 and "password authentication failed" in trusted.stderr
        assert fake.passwords == [ENV_SECRET]


def test_a_plan_file_never_chooses_where_the_password_goes(tmp_path: Path) -> None:
    first = numbers(1)[0]
    write_manifest(tmp_path, [first])
    made = exoplan(None, tmp_path, "plan", "--out", "plan.json")
    assert made.code in (0, 2), made.output
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    with fake_postgres() as fake:
        plan["state"]["path"] = fake.url()
        (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        env = {"PGPASSWORD": ENV_SECRET}
        result = exoplan(None, tmp_path, "apply", "plan.json", "--auto-approve", *FAST, env=env)
        assert result.code == 1, result.output
        assert f"127.0.0.1:{fake.port}" in result.stderr
        assert "numbers.state.json" in result.stderr and "Traceback" not in result.stderr
        assert fake.connections == 0 and fake.passwords == []
    assert not (tmp_path / "numbers.state.json").exists()


def test_apply_of_a_plan_file_uses_the_state_plan_would_use(tmp_path: Path) -> None:
    first = numbers(1)[0]
    write_manifest(tmp_path, [first])
    other = tmp_path / "other.state.json"
    made = exoplan(None, tmp_path, "plan", "--out", "plan.json", "--state", str(other))
    assert made.code in (0, 2), made.output
    # Without --state apply would use the manifest's default state, not the plan's.
    refused = exoplan(None, tmp_path, "apply", "plan.json", "--auto-approve", *FAST)
    assert refused.code == 1 and "--state" in refused.stderr
    with new_sandbox() as sandbox:
        applied = exoplan(
            sandbox,
            tmp_path,
            "apply",
            "plan.json",
            "--auto-approve",
            *FAST,
            env={"EXOPLAN_STATE": os.path.relpath(other, tmp_path)},
        )
    assert applied.code == 0, applied.output
    assert first in json.loads(other.read_text(encoding="utf-8"))["numbers"]
