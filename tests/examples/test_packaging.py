"""The package users install: metadata, license, and the schemas inside the wheel.

The wheel is built offline from a copy of the sources (``--no-isolation``: the test
environment already has setuptools and build, from the ``test`` extra).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.support.project import REPO

# Builds the wheel and installs it into a fresh environment: seconds of CPU.
pytestmark = pytest.mark.slow

tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11 and later")
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "reconciler", "schemas")


def pyproject() -> dict[str, object]:
    project: dict[str, object] = tomllib.loads(
        (REPO / "pyproject.toml").read_text(encoding="utf-8")
    )["project"]
    return project


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    project = pyproject()
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    classifiers = project["classifiers"]
    assert isinstance(classifiers, list)
    # An SPDX license with a License :: classifier as well is an error in setuptools.
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert "Programming Language :: Python :: 3" in classifiers
    assert project["urls"]


def test_setuptools_floor_reads_spdx_licenses() -> None:
    system = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "setuptools>=77" in system["build-system"]["requires"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The built wheel, and everything the build printed."""
    pytest.importorskip("build", reason="`build` is in the test extra")
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, source / name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    dist = source / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = dist.glob("exoplan-*.whl")
    return built, done.stdout + done.stderr


def test_the_build_warns_about_nothing(wheel: tuple[Path, str]) -> None:
    _, output = wheel
    assert [line for line in output.splitlines() if "warn" in line.lower()] == []


def test_the_wheel_carries_the_license_and_metadata(wheel: tuple[Path, str]) -> None:
    built, _ = wheel
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("Project-URL")
    assert "Topic :: Communications :: Telephony" in metadata.get_all("Classifier")


def test_an_installed_wheel_prints_its_own_schema_path(
    wheel: tuple[Path, str], tmp_path: Path
) -> None:
    built, _ = wheel
    site = tmp_path / "site"
    with zipfile.ZipFile(built) as archive:
        archive.extractall(site)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "schema", "manifest", "--path"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    printed = Path(done.stdout.strip())
    assert printed == site / "reconciler" / "schemas" / "manifest.schema.json"
    shipped = (REPO / "schemas" / "manifest.schema.json").read_bytes()
    assert printed.read_bytes() == shipped
