"""The state on a real PostgreSQL server, end to end through ``python -m reconciler``:
every command, two applies at once, a killed apply, plan beside a held lock, migrate both
ways, history, the password never shown or stored, and psycopg missing."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import psycopg

from reconciler.sandbox.server import Sandbox
from reconciler.state.backends import open_store
from tests.support.postgres import PASSWORD, PgServer, unique_name
from tests.support.project import REPO, numbers, write_manifest, write_state
from tests.support.run import FAST, Result, exoplan, finish, start_exoplan, wait_for
from tests.support.sandbox import assert_bought_once, new_sandbox, outside, owned_sids

APPLY = ("apply", "--auto-approve", *FAST)


def db(pg: PgServer, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(pg.conninfo()) as conn:
        return conn.execute(query, params).fetchall()


def stored(pg: PgServer, name: str) -> dict[str, Any]:
    rows = db(pg, "SELECT data FROM exoplan.states WHERE name = %s", name)
    assert rows, f"no state {name}"
    data: dict[str, Any] = rows[0][0]
    return data


def journal_rows(pg: PgServer, name: str) -> int:
    try:
        return int(db(pg, "SELECT count(*) FROM exoplan.journal WHERE name = %s", name)[0][0])
    except psycopg.errors.UndefinedTable:
        return 0


def dump_all(pg: PgServer) -> str:
    tables = ("states", "state_versions", "locks", "journal")
    return json.dumps([db(pg, f"SELECT * FROM exoplan.{t}") for t in tables], default=str)


def run(sandbox: Sandbox | None, folder: Path, url: str, *args: str) -> Result:
    return exoplan(sandbox, folder, *args, env={"EXOPLAN_STATE": url})


def test_every_command_on_a_postgres_state_and_no_password_anywhere(
    pg: PgServer, tmp_path: Path
) -> None:
    name, (first, second, third) = unique_name(), numbers(3)
    url = pg.url(name)
    write_manifest(tmp_path, [first, {"number": second, "friendly_name": "Two"}])
    results = []
    with new_sandbox(seed=[{"phone_number": third, "friendly_name": "Owned"}]) as sandbox:
        planned = run(sandbox, tmp_path, url, "plan", "--detailed-exitcode", "--out", "plan.json")
        assert planned.code == 2 and "Plan: 2 to purchase" in planned.stdout, planned.output
        applied = run(sandbox, tmp_path, url, "apply", "--auto-approve", *FAST, "plan.json")
        assert applied.code == 0, applied.output
        assert run(sandbox, tmp_path, url, "plan", "--detailed-exitcode").code == 0
        outside(sandbox, "PUT", second, FriendlyName="Renamed")
        refreshed = run(sandbox, tmp_path, url, "refresh", "-v", *FAST)
        assert refreshed.code == 0 and "1 number(s) changed outside" in refreshed.stdout
        imported = run(sandbox, tmp_path, url, "import", third, *FAST)
        assert imported.code == 0 and f"imported {third}" in imported.stdout, imported.output
        listed = run(sandbox, tmp_path, url, "state", "list")
        assert [line.split()[0] for line in listed.stdout.splitlines()] == [first, second, third]
        shown = run(sandbox, tmp_path, url, "state", "show", third)
        assert json.loads(shown.stdout)["sid"] == owned_sids(sandbox)[third]
        removed = run(sandbox, tmp_path, url, "state", "rm", third)
        assert removed.code == 0 and "see `exoplan state history`" in removed.stdout
        history = run(sandbox, tmp_path, url, "state", "history")
        results = [planned, applied, refreshed, imported, listed, shown, removed, history]
        assert_bought_once(sandbox, [first, second])
    lines = history.stdout.splitlines()
    assert lines[0].split() == ["serial", "written", "at", "command", "host"]
    commands = [" ".join(line.split()[2:-1]) for line in lines[1:]]
    assert commands == ["exoplan apply", "exoplan refresh", "exoplan import", "exoplan state rm"]
    assert [int(line.split()[0]) for line in lines[1:]] == [1, 2, 3, 4]
    assert sorted(stored(pg, name)["numbers"]) == [first, second]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numbers.yaml", "plan.json"]
    plan_file = (tmp_path / "plan.json").read_text(encoding="utf-8")
    assert f"name={name}" in plan_file
    for text in [plan_file, dump_all(pg), *(r.output for r in results)]:
        assert PASSWORD not in text


def test_the_manifest_names_the_state_but_pgpassword_goes_only_where_exoplan_state_says(
    pg: PgServer, tmp_path: Path
) -> None:
    name, (first,) = unique_name(), numbers(1)
    text = write_manifest(tmp_path, [first]).read_text(encoding="utf-8")
    url = pg.url(name, password=False)
    (tmp_path / "numbers.yaml").write_text(text + f"state:\n  url: {url}\n", encoding="utf-8")
    trusted = {"PGPASSWORD": PASSWORD, "EXOPLAN_STATE": url}
    with new_sandbox() as sandbox:
        result = exoplan(sandbox, tmp_path, *APPLY, env=trusted)
        assert result.code == 0, result.output
        planned = exoplan(None, tmp_path, "plan", "--detailed-exitcode", env=trusted)
    assert planned.code == 0, planned.output
    assert list(stored(pg, name)["numbers"]) == [first]
    # The manifest's URL alone gets no password from the environment.
    untrusted = exoplan(None, tmp_path, "plan", env={"PGPASSWORD": PASSWORD})
    assert untrusted.code == 1
    assert untrusted.stderr.startswith(f"error: {url}&schema=exoplan: cannot connect")
    assert "give this URL in EXOPLAN_STATE" in untrusted.stderr
    # --state beats EXOPLAN_STATE, which beats the manifest.
    other = tmp_path / "elsewhere.json"
    flagged = exoplan(None, tmp_path, "plan", "--state", str(other), env={"EXOPLAN_STATE": url})
    assert "Plan: 1 to purchase" in flagged.stdout
    env_file = exoplan(None, tmp_path, "plan", env={"EXOPLAN_STATE": str(other)})
    assert "Plan: 1 to purchase" in env_file.stdout
    no_password = exoplan(None, tmp_path, "plan", env={"EXOPLAN_STATE": url})
    assert no_password.code == 1
    assert no_password.stderr.startswith(f"error: {url}&schema=exoplan")
    assert "Traceback" not in no_password.stderr


def test_a_password_in_the_manifest_url_is_a_located_validation_error(
    pg: PgServer, tmp_path: Path
) -> None:
    text = write_manifest(tmp_path, numbers(1)).read_text(encoding="utf-8")
    manifest = text + f"state:\n  url: {pg.url('x')}\n"
    (tmp_path / "numbers.yaml").write_text(manifest, encoding="utf-8")
    line = manifest.splitlines().index(f"  url: {pg.url('x')}") + 1
    for command in (["validate"], ["plan"]):
        result = exoplan(None, tmp_path, *command)
        assert result.code == 1
        assert f"numbers.yaml:{line}:8: the state URL must not hold a password" in result.stderr
        assert PASSWORD not in result.output


def test_two_applies_at_once_one_wins_the_other_names_the_holder(
    pg: PgServer, tmp_path: Path
) -> None:
    name, wanted = unique_name(), numbers(6)
    url = pg.url(name)
    folders = [tmp_path / "laptop", tmp_path / "runner"]
    for folder in folders:
        folder.mkdir()
        write_manifest(folder, wanted)
    with new_sandbox(latency_ms=150) as sandbox:
        env = {"EXOPLAN_STATE": url}
        runs = [start_exoplan(sandbox, f, *APPLY, "--parallelism", "1", env=env) for f in folders]
        results = [finish(p) for p in runs]
        assert sorted(r.code for r in results) == [0, 1], [r.output for r in results]
        loser = next(r for r in results if r.code == 1)
        assert f"name={name}" in loser.stderr and "is locked by pid" in loser.stderr
        assert "running 'exoplan apply'" in loser.stderr and PASSWORD not in loser.output
        again = exoplan(sandbox, folders[1], *APPLY, env=env)
        assert again.code == 0 and "No changes" in again.stdout, again.output
        assert_bought_once(sandbox, wanted)
    assert sorted(stored(pg, name)["numbers"]) == wanted


def test_a_killed_apply_is_settled_from_the_journal_table_exactly_once(
    pg: PgServer, tmp_path: Path
) -> None:
    name, wanted = unique_name(), numbers(6)
    url = pg.url(name)
    write_manifest(tmp_path, wanted)
    env = {"EXOPLAN_STATE": url}
    with new_sandbox(latency_ms=200) as sandbox:
        process = start_exoplan(sandbox, tmp_path, *APPLY, "--parallelism", "2", env=env)
        try:
            wait_for(lambda: journal_rows(pg, name) >= 5 or process.poll() is not None)
            process.send_signal(signal.SIGKILL)
        finally:
            killed = finish(process)
        assert killed.code == -signal.SIGKILL, killed.output
        time.sleep(0.3)  # requests already sent land on the sandbox
        assert journal_rows(pg, name) >= 5
        planned = exoplan(None, tmp_path, "plan", env=env)
        assert "left from an interrupted apply" in planned.stderr
        assert f"name={name}" in planned.stderr
        again = exoplan(sandbox, tmp_path, *APPLY, env=env)  # at once: no stale lock
        assert again.code == 0, again.output
        assert "Found the journal of an interrupted apply" in again.stderr
        assert_bought_once(sandbox, wanted)
        check = exoplan(
            sandbox, tmp_path, "plan", "--refresh", "--detailed-exitcode", *FAST, env=env
        )
        assert check.code == 0, check.output
    assert sorted(stored(pg, name)["numbers"]) == wanted
    assert journal_rows(pg, name) == 0


def test_plan_reads_while_an_apply_holds_the_lock(pg: PgServer, tmp_path: Path) -> None:
    name, (first,) = unique_name(), numbers(1)
    url = pg.url(name)
    write_manifest(tmp_path, [first])
    holder = open_store(url)
    holder.lock("exoplan apply", 0).acquire()
    try:
        planned = run(None, tmp_path, url, "plan", "--detailed-exitcode")
        assert planned.code == 2 and "Plan: 1 to purchase" in planned.stdout, planned.output
        blocked = run(None, tmp_path, url, "apply", "--auto-approve")
        assert blocked.code == 1 and "is locked by pid" in blocked.stderr
        assert "running 'exoplan apply'" in blocked.stderr
        unlock = run(None, tmp_path, url, "force-unlock")
        assert unlock.code == 1 and "released by the server" in unlock.stderr
    finally:
        holder.close()


def test_migrate_file_to_postgres_and_back_keeps_lineage_and_serial(
    pg: PgServer, tmp_path: Path
) -> None:
    name, (first, second) = unique_name(), numbers(2)
    url = pg.url(name)
    write_manifest(tmp_path, [first, second])
    write_state(tmp_path / "numbers.state.json", [first, second], serial=7)
    lineage = json.loads((tmp_path / "numbers.state.json").read_text())["lineage"]
    moved = exoplan(None, tmp_path, "state", "migrate", "--to", url)
    assert moved.code == 0, moved.output
    assert "serial 7, 2 number(s)) from numbers.state.json to postgresql://" in moved.stdout
    assert PASSWORD not in moved.output
    data = stored(pg, name)
    assert (data["lineage"], data["serial"], sorted(data["numbers"])) == (
        lineage,
        7,
        [first, second],
    )
    again = exoplan(None, tmp_path, "state", "migrate", "--to", url)
    assert again.code == 0 and "already holds this state" in again.stdout
    # A change on PostgreSQL, then back to a new file.
    assert run(None, tmp_path, url, "state", "rm", second).code == 0
    back = tmp_path / "back.json"
    returned = run(None, tmp_path, url, "state", "migrate", "--to", str(back))
    assert returned.code == 0, returned.output
    data = json.loads(back.read_text(encoding="utf-8"))
    assert (data["lineage"], data["serial"], list(data["numbers"])) == (lineage, 8, [first])
    # The old file is of the same lineage but older: moving it over the newer state is refused.
    stale = exoplan(None, tmp_path, "state", "migrate", "--to", url)
    assert stale.code == 1 and "is newer (serial 8)" in stale.stderr


def test_migrate_refuses_another_lineage_and_an_unsettled_journal(
    pg: PgServer, tmp_path: Path
) -> None:
    name, (first,) = unique_name(), numbers(1)
    url = pg.url(name)
    write_manifest(tmp_path, [first])
    write_state(tmp_path / "numbers.state.json", [first])
    assert exoplan(None, tmp_path, "state", "migrate", "--to", url).code == 0
    write_state(tmp_path / "other.json", [first], lineage="11111111-2222-4333-8444-555555555555")
    other = exoplan(None, tmp_path, "state", "migrate", "--state", "other.json", "--to", url)
    assert other.code == 1 and "holds another state (lineage" in other.stderr
    intent = {"op": "intent", "action": "purchase", "number": first, "sid": None, "params": {}}
    journal = tmp_path / "numbers.state.json.journal"
    journal.write_text(
        json.dumps({"op": "begin", "id": "j1", "lineage": "x", "serial": 7})
        + "\n"
        + json.dumps(intent)
        + "\n",
        encoding="utf-8",
    )
    before = stored(pg, name)
    unsettled = exoplan(None, tmp_path, "state", "migrate", "--to", pg.url(unique_name()))
    assert unsettled.code == 1 and "not settled" in unsettled.stderr, unsettled.output
    assert stored(pg, name) == before


def test_without_psycopg_a_postgres_url_names_the_install_command(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker" / "psycopg"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n"
    )
    write_manifest(tmp_path, numbers(1))
    url = "postgresql://ci:hunter2@127.0.0.1:1/db?name=prod"
    env = {"EXOPLAN_STATE": url, "PYTHONPATH": f"{tmp_path / 'blocker'}{os.pathsep}{REPO}"}
    result = exoplan(None, tmp_path, "plan", env=env)
    assert result.code == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: postgresql://ci@127.0.0.1:1/db?name=prod")
    assert "pip install 'exoplan[postgres]'" in result.stderr and "hunter2" not in result.output
    file_plan = exoplan(None, tmp_path, "plan", env={"PYTHONPATH": env["PYTHONPATH"]})
    assert file_plan.code == 0, file_plan.output  # the file store never imports psycopg


def documented_setup_sql() -> str:
    text = (REPO / "docs" / "state.md").read_text(encoding="utf-8")
    after = text.index("**Setup with least privilege.**")
    start = text.index("```sql\n", after) + len("```sql\n")
    return text[start : text.index("```", start)]


def test_the_documented_least_privilege_setup_is_enough(pg: PgServer, tmp_path: Path) -> None:
    database = "lp_" + unique_name("db").replace("-", "_")
    with psycopg.connect(
        pg.conninfo().replace("dbname=exoplan", "dbname=postgres"), autocommit=True
    ) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    with psycopg.connect(
        pg.conninfo().replace("dbname=exoplan", f"dbname={database}"), autocommit=True
    ) as admin:
        exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'exoplan_ci'").fetchall()
        sql = documented_setup_sql().replace("PASSWORD '...'", "PASSWORD 'lp-pw'")
        if exists:  # roles are per server: a second database reuses them
            sql = "\n".join(line for line in sql.splitlines() if not line.startswith("CREATE ROLE"))
        admin.execute(sql.encode())
    url = f"postgresql://exoplan_ci:lp-pw@{pg.host}:{pg.port}/{database}?name=prod"
    reader = f"postgresql://exoplan_plan:lp-pw@{pg.host}:{pg.port}/{database}?name=prod"
    wanted = numbers(2)
    write_manifest(tmp_path, wanted)
    with new_sandbox() as sandbox:
        applied = run(sandbox, tmp_path, url, *APPLY)
        assert applied.code == 0, applied.output
        assert run(None, tmp_path, reader, "plan", "--detailed-exitcode").code == 0
        assert run(None, tmp_path, reader, "state", "history").code == 0
        refused = run(sandbox, tmp_path, reader, *APPLY)
    assert refused.code == 1 and "permission denied" in refused.stderr, refused.output
    assert f"{database}?name=prod" in refused.stderr and "Traceback" not in refused.stderr
