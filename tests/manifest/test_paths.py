"""reconciler.manifest.paths: which manifests -f names."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import UsageError
from reconciler.manifest.paths import expand


def test_a_directory_stands_for_its_yaml_files_in_path_order(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", "c.txt", "d.yaml.bak"):
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "e.yaml").write_text("", encoding="utf-8")
    (tmp_path / "dir.yaml").mkdir()
    assert expand([str(tmp_path)]) == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yml")]


def test_files_keep_their_order_and_appear_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("", encoding="utf-8")
    given = ["z.yaml", str(tmp_path / "a.yaml"), str(tmp_path), "z.yaml"]
    assert expand(given) == ["z.yaml", str(tmp_path / "a.yaml")]


def test_no_manifest_given_means_numbers_yaml() -> None:
    assert expand([]) == ["numbers.yaml"]


def test_a_directory_without_manifests_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=f"-f {tmp_path}: the directory holds no manifest"):
        expand([str(tmp_path)])
