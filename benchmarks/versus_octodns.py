"""octoDNS 1.22, the closest relative (YAML config -> plan -> apply), set up to plan the
same amount of work as an exoplan plan, for ``plan_bench.py``.

octoDNS is not a dependency of exoplan: it is installed (``octodns==1.22.0`` with pip)
into a virtual environment of its own, made with the interpreter that runs the
benchmark and kept in a cache folder for the next run (``--octodns-venv`` names
another).

Its inputs mirror exoplan's: a zone of N A records (name, ttl, type, value: about the
size of a manifest entry) as the source, read by a ``YamlProvider``, and a second
``YamlProvider`` as the target, holding the current zone, in which 90% of the records
are the same, 5% have another value and 5% are missing. ``octodns-sync`` without
``--doit`` plans and logs the plan, as ``exoplan plan`` plans and prints it. Both
keep their defaults: octoDNS reads YAML with PyYAML's pure-Python loader and checks
that keys are in order (so the names are zero-padded, in order), exoplan reads it with
PyYAML's C loader.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VERSION = "1.22.0"
ZONE = "example.com."


def default_venv() -> Path:
    """Where the octoDNS environment is kept between runs."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    interpreter = f"py{sys.version_info.major}.{sys.version_info.minor}"
    return cache / "exoplan-benchmarks" / f"octodns-{VERSION}-{interpreter}"


def octodns_sync(venv: Path) -> Path:
    """The ``octodns-sync`` of octoDNS 1.22 in ``venv``, installed there first if need be."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", f"import octodns; assert octodns.__version__ == {VERSION!r}"]
    if not python.exists() or subprocess.run(check, capture_output=True).returncode != 0:
        print(f"installing octodns=={VERSION} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, f"octodns=={VERSION}"], check=True)
    return venv / "bin" / "octodns-sync"


def _address(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def _record(i: int, changed: bool) -> list[str]:
    value = _address(i + (1 << 23) if changed else i)
    return [f"n{i:07d}:", "  ttl: 300", "  type: A", f"  value: {value}"]


def write_inputs(size: int, folder: Path) -> Path:
    """The octoDNS config for ``size`` records, its source zone and its target's
    current zone (90% the same, 5% changed, 5% missing); returns the config's path."""
    base = folder / f"octodns{size}"
    source, target = base / "config", base / "target"
    source.mkdir(parents=True, exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    wanted, current = ["---"], ["---"]
    for i in range(size):
        bucket = i % 20  # 0: new, 1: changed, others unchanged (as exoplan's inputs)
        wanted += _record(i, changed=False)
        if bucket != 0:
            current += _record(i, changed=bucket == 1)
    (source / f"{ZONE}yaml").write_text("\n".join(wanted) + "\n", encoding="utf-8")
    (target / f"{ZONE}yaml").write_text("\n".join(current) + "\n", encoding="utf-8")
    config = base / "config.yaml"
    config.write_text(
        "\n".join(
            [
                "---",
                "providers:",
                "  config:",
                "    class: octodns.provider.yaml.YamlProvider",
                f"    directory: {source}",
                "  target:",
                "    class: octodns.provider.yaml.YamlProvider",
                f"    directory: {target}",
                "zones:",
                f"  {ZONE}:",
                "    sources:",
                "      - config",
                "    targets:",
                "      - target",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return config
