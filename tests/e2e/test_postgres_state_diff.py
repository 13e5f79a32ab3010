"""``exoplan state diff --from-version N --to-version M`` on a real PostgreSQL state,
which keeps every version; and a PostgreSQL state beside a file, by URL."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.postgres import PASSWORD, PgServer, unique_name
from tests.support.project import numbers, write_manifest
from tests.support.run import FAST, exoplan
from tests.support.sandbox import new_sandbox, outside


def test_two_kept_versions_differ_field_by_field(pg: PgServer, tmp_path: Path) -> None:
    name, (first, second) = unique_name(), numbers(2)
    env = {"EXOPLAN_STATE": pg.url(name)}
    write_manifest(tmp_path, [{"number": first, "friendly_name": "One"}])
    with new_sandbox() as sandbox:
        assert exoplan(sandbox, tmp_path, "apply", "--auto-approve", *FAST, env=env).code == 0
        outside(sandbox, "PUT", first, FriendlyName="Renamed")
        assert exoplan(sandbox, tmp_path, "refresh", *FAST, env=env).code == 0
        write_manifest(tmp_path, [{"number": first, "friendly_name": "One"}, second])
        assert exoplan(sandbox, tmp_path, "apply", "--auto-approve", *FAST, env=env).code == 0
    renamed = exoplan(
        None, tmp_path, "state", "diff", "--from-version", "1", "--to-version", "2", env=env
    )
    bought = exoplan(
        None,
        tmp_path,
        "state",
        "diff",
        "--from-version",
        "2",
        "--to-version",
        "3",
        "--json",
        env=env,
    )
    same = exoplan(
        None,
        tmp_path,
        "state",
        "diff",
        "--from-version",
        "2",
        "--to-version",
        "2",
        "--detailed-exitcode",
        env=env,
    )
    assert renamed.code == 0, renamed.stderr
    assert f'  ~ numbers.{first}.friendly_name: "One" -> "Renamed"' in renamed.stdout
    data = json.loads(bought.stdout)
    assert (data["from"]["serial"], data["to"]["serial"]) == (2, 3)
    kinds = {tuple(d["path"]): d["kind"] for d in data["differences"]}
    assert kinds[("numbers", second)] == "added"
    assert kinds[("numbers", first, "friendly_name")] == "changed"  # put back by the apply
    assert (same.code, same.stdout.splitlines()[-1]) == (0, "No differences.")
    for result in (renamed, bought, same):
        assert PASSWORD not in result.output


def test_a_version_postgres_never_kept_is_an_error(pg: PgServer, tmp_path: Path) -> None:
    name, (first,) = unique_name(), numbers(1)
    env = {"EXOPLAN_STATE": pg.url(name)}
    write_manifest(tmp_path, [first])
    with new_sandbox() as sandbox:
        assert exoplan(sandbox, tmp_path, "apply", "--auto-approve", *FAST, env=env).code == 0
    result = exoplan(
        None, tmp_path, "state", "diff", "--from-version", "1", "--to-version", "9", env=env
    )
    assert result.code == 1
    assert "no kept version has serial 9" in result.stderr and PASSWORD not in result.stderr


def test_a_postgres_state_and_its_copy_in_a_file_by_url(pg: PgServer, tmp_path: Path) -> None:
    name, (first,) = unique_name(), numbers(1)
    url = pg.url(name)
    write_manifest(tmp_path, [first])
    with new_sandbox() as sandbox:
        env = {"EXOPLAN_STATE": url}
        assert exoplan(sandbox, tmp_path, "apply", "--auto-approve", *FAST, env=env).code == 0
    copied = exoplan(None, tmp_path, "state", "migrate", "--to", "copy.json", env=env)
    assert copied.code == 0, copied.stderr
    result = exoplan(None, tmp_path, "state", "diff", url, "copy.json", "--detailed-exitcode")
    assert (result.code, result.stdout.splitlines()[-1]) == (0, "No differences.")
    assert PASSWORD not in result.output
