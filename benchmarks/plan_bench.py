"""Measure `exoplan plan` against the cost of merely parsing its manifest.

For manifests of 1k, 10k and 100k numbers (with states where 90% are unchanged, 5%
changed and 5% new; numbers in three spellings, and again all in E.164 form at 10k
and 100k) it prints, from one run: the time of
``yaml.load(..., Loader=yaml.CSafeLoader)`` on the manifest with the cycle collector
paused, as plan's own parse pauses it (the floor: plan must at least read it), the
full in-process plan time (load + validate + read state + plan + render), their
ratio, and the peak memory of a process that only plans. Floor and plan each run in a
fresh process, alternately, best of ``--repeat``. Then `validate` of the largest
manifest, valid and with one bad entry (an invalid number; a key the schema does not
know), each in a fresh process, and the writing of a 50,000-number state (serialise,
fsync, backup, rename). Then start-up: the CPU time of the whole
``exoplan plan -f examples/numbers.yaml`` process against ``python -c pass`` of the same
environment, median of 21 runs of each, in turn, in this checkout and in a regular
install made for the purpose (``--no-installed`` skips that; see ``startup.py``).

Then big plans (see ``big_plans.py``): every output of a plan that buys ``--big``
new numbers (text, JSON, Markdown, ``--out``), each a whole process, against a whole
process that only parses the manifest, with the peak memory of each.

Last, whole process against whole process: ``exoplan plan`` of N numbers against
octoDNS 1.22's ``octodns-sync`` (a dry run: plan and log it) of N records, from a
YAML source and a YAML target holding a current state of the same shape (90% the
same, 5% changed, 5% new; see ``versus_octodns.py``), CPU time, best of ``--repeat``,
in turn. octoDNS is installed into an environment of its own (``--no-octodns`` skips
it: octoDNS is slow at 100k). Every whole-process run starts
with its bytecode cached, as an installed program does, and no run is given other
settings than its defaults (the cycle collector included: exoplan's entry pauses its
own for the whole command, as it always does, and the in-process plan and validate
pause it as the entry does; octoDNS runs as shipped).

    python benchmarks/plan_bench.py [--sizes 1000,10000,100000] [--repeat 3] [--big 100000]
        [--no-installed] [--installed-venv DIR]
        [--no-octodns] [--octodns-sizes 10000,100000] [--octodns-venv DIR]

Targets (issue 15): plan/floor <= 1.5 at 10k and 100k, <= 1.3 when every number is
written in E.164; validate with one error <= 1.3x the valid manifest; a state write of
50,000 numbers <= 0.1 s; the whole example plan <= 4x ``python -c pass`` in CPU, in
this checkout as the issue measured it (the regular install's rows show why no
program on these libraries gets there in one); peak memory of a 100k plan <= 400 MiB;
exoplan / octoDNS <= 0.25 at 10k and 100k. Issue 28: every output of a plan buying
100k numbers within 1.6x of its floor, at most 450 MiB.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import big_plans  # noqa: E402
import startup  # noqa: E402
import versus_octodns  # noqa: E402
from report import Section  # noqa: E402

FLOWS = {"support": 123456, "sales": 234567, "night": 345678}


def spelling(i: int, mixed: bool = True) -> tuple[str, str]:
    """The E.164 form of the i-th number and one of three spellings of it (or E.164)."""
    national = f"80{30000000 + i:08d}"
    e164 = "+91" + national
    return e164, [e164, "0" + national, "91" + national][i % 3] if mixed else e164


def write_inputs(
    size: int, folder: Path, mixed: bool = True, bad: str | None = None
) -> tuple[Path, Path]:
    """A manifest of ``size`` numbers and its state; ``bad`` breaks the middle entry:
    ``number`` gives it an invalid number, ``key`` a key the schema does not know."""
    lines = [
        "version: 1",
        "account:",
        "  sid: bench1",
        "  region: mumbai",
        "flows:",
    ]
    for name, app in FLOWS.items():
        lines += [f"  {name}:", f"    app_id: {app}"]
    lines.append("numbers:")
    state: dict[str, dict[str, object]] = {}
    names = list(FLOWS)
    for i in range(size):
        e164, written = spelling(i, mixed)
        flow = names[i % 3]
        if bad == "key" and i == size // 2:
            lines += ["  - colour: blue", f'    number: "{written}"']
        elif bad == "number" and i == size // 2:
            lines.append('  - number: "+9180"')
        else:
            lines.append(f'  - number: "{written}"')
        lines += [f"    friendly_name: Line {i}", f"    voice_flow: {flow}"]
        bucket = i % 20  # 0: new, 1: changed, others unchanged
        if bucket == 0:
            continue
        app = FLOWS[flow] if bucket != 1 else 999999
        state[e164] = {
            "sid": f"{i:032x}",
            "phone_number": e164,
            "friendly_name": f"Line {i}",
            "voice_url": f"https://my.exotel.in/bench1/exoml/start_voice/{app}",
            "sms_url": None,
            "capabilities": {"voice": True, "sms": False},
            "rental_price": "499.000000",
            "currency": "INR",
            "protect": False,
        }
    manifest = folder / f"m{size}{'' if mixed else '-e164'}{'-' + bad if bad else ''}.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    state_path = folder / f"m{size}.state.json"
    state_doc = {
        "format": "exoplan-state",
        "version": 1,
        "lineage": "00000000-0000-4000-8000-000000000000",
        "serial": 1,
        "account_sid": "bench1",
        "numbers": state,
    }
    state_path.write_text(json.dumps(state_doc), encoding="utf-8")
    return manifest, state_path


def floor_seconds(manifest: Path) -> float:
    """The floor: PyYAML's C loader alone, with the cycle collector paused as plan's is.

    Plan pauses the collector while it parses (parsed data holds no cycles); a floor
    that left it running would pay for a walk plan never takes, and flatter plan.
    """
    import gc

    import yaml

    started = time.perf_counter()
    gc.disable()
    try:
        with manifest.open(encoding="utf-8") as handle:
            yaml.load(handle.read(), Loader=yaml.CSafeLoader)
    finally:
        gc.enable()
    return time.perf_counter() - started


def plan_seconds(manifest: Path, state_path: Path) -> tuple[float, dict[str, int]]:
    # Imports happen before the clock starts, as yaml's does for the floor; start-up
    # is measured separately, by the whole-process line.
    from reconciler.collector import collector_paused
    from reconciler.manifest.load import load_manifest
    from reconciler.plan.planner import make_plan
    from reconciler.render.text import render_text
    from reconciler.state.file import load_state

    started = time.perf_counter()
    with collector_paused():  # as the command line's entry pauses it
        plan = make_plan(load_manifest(str(manifest)), load_state(str(state_path)))
        render_text(plan, io.StringIO())
    return time.perf_counter() - started, plan.counts()


def validate_seconds(manifest: Path) -> float:
    """`exoplan validate -f MANIFEST` in-process: load, check, and print the verdict
    (every problem with its line, when there are some)."""
    from contextlib import redirect_stderr, redirect_stdout

    from reconciler.cli.main import main
    from reconciler.collector import collector_paused

    sink = io.StringIO()
    started = time.perf_counter()
    with redirect_stdout(sink), redirect_stderr(sink), collector_paused():  # as the entry
        main(["validate", "-f", str(manifest)])
    return time.perf_counter() - started


def peak_mib() -> float:
    """This process's peak resident memory. Linux's VmHWM counts from exec; ru_maxrss
    there also counts the parent's pages the child had before exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def state_write_seconds(state_path: Path) -> tuple[float, float]:
    """Writing a state of 50,000 numbers as every writer does (serialise, temp file,
    fsync, backup of the old file, rename), and the serialising alone."""
    from itertools import islice

    from reconciler.state.file import load_state, write_state
    from reconciler.state.serialise import state_json, to_data

    state = load_state(str(state_path))
    state.numbers = dict(islice(state.numbers.items(), STATE_WRITE_SIZE))
    state.path = str(state_path.with_name("written.state.json"))
    started = time.perf_counter()
    write_state(state)
    written = time.perf_counter()
    state_json(to_data(state))
    return written - started, time.perf_counter() - written


STATE_WRITE_SIZE = 50_000


def child(mode: str, manifest: Path, state_path: Path) -> None:
    """Runs in a fresh process so that each measurement starts cold and alone."""
    if mode == "floor":
        result: dict[str, object] = {"seconds": floor_seconds(manifest)}
    elif mode == "validate":
        result = {"seconds": validate_seconds(manifest)}
    elif mode == "write":
        whole, serialise = state_write_seconds(state_path)
        result = {"seconds": whole, "serialise": serialise}
    else:
        seconds, counts = plan_seconds(manifest, state_path)
        result = {"seconds": seconds, "counts": counts}
    result["peak_mib"] = peak_mib()
    print(json.dumps(result))


def measure(mode: str, manifest: Path, state_path: Path) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", mode, str(manifest), str(state_path)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, object] = json.loads(out)
    return result


def bench_size(size: int, folder: Path, repeat: int, mixed: bool) -> dict[str, object]:
    manifest, state_path = write_inputs(size, folder, mixed)
    floors, plans, peaks = [], [], []
    counts: object = None
    for _ in range(repeat):  # alternate, so that both see the same machine load
        floors.append(float(measure("floor", manifest, state_path)["seconds"]))  # type: ignore[arg-type]
        planned = measure("plan", manifest, state_path)
        plans.append(float(planned["seconds"]))  # type: ignore[arg-type]
        peaks.append(float(planned["peak_mib"]))  # type: ignore[arg-type]
        counts = planned["counts"]
    floor, plan = min(floors), min(plans)
    return {
        "size": size,
        "floor": floor,
        "plan": plan,
        "ratio": plan / floor,
        "peak": max(peaks),
        "counts": counts,
    }


def bench_validate(size: int, folder: Path, repeat: int) -> dict[str, float]:
    """`validate` of a valid manifest, and of the same with one bad entry in the middle."""
    inputs = {bad: write_inputs(size, folder, bad=bad)[0] for bad in ("", "number", "key")}
    times: dict[str, list[float]] = {bad: [] for bad in inputs}
    for _ in range(repeat):
        for bad, manifest in inputs.items():
            times[bad].append(float(measure("validate", manifest, manifest)["seconds"]))  # type: ignore[arg-type]
    return {bad or "valid": min(samples) for bad, samples in times.items()}


def octodns_table(sizes: list[int], folder: Path, repeat: int, venv: Path, out: Section) -> None:
    """Whole process against whole process: exoplan planning N numbers, octoDNS 1.22
    planning N records, from inputs of the same shape; best of ``repeat``, in turn."""
    sync = versus_octodns.octodns_sync(venv)
    env = startup.process_env(folder)
    # A small run first: it fills the bytecode cache, and shows the inputs plan the
    # same work as exoplan's (of 40: 2 new, 2 changed, 36 unchanged).
    small = [str(sync), "--config-file", str(versus_octodns.write_inputs(40, folder))]
    logged = subprocess.run(small, env=env, capture_output=True, text=True, check=True).stderr
    assert "Summary: Creates=2, Updates=2, Deletes=0, Existing=38" in logged, logged[-500:]
    out.line()
    out.line("| records | exoplan plan (s CPU) | octodns-sync 1.22 (s CPU) | exoplan / octoDNS |")
    out.line("| ---: | ---: | ---: | ---: |")
    for size in sizes:
        manifest, state_path = write_inputs(size, folder)
        config = versus_octodns.write_inputs(size, folder)
        exoplan = [sys.executable, "-m", "reconciler", "plan", "-f", str(manifest)]
        octodns = [str(sync), "--config-file", str(config)]
        ours, theirs = startup.alternated(
            [[*exoplan, "--state", str(state_path)], octodns], env, repeat
        )
        out.line(
            f"| {size:,} | {min(ours):.2f} | {min(theirs):.2f} | "
            f"{min(ours) / min(theirs):.3f} (target <= 0.25) |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--big", type=int, default=100_000, help="new numbers in the big plans (0: skip them)"
    )
    parser.add_argument("--child", nargs=3, metavar=("MODE", "MANIFEST", "STATE"))
    parser.add_argument(
        "--octodns",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="compare with octoDNS 1.22 (installed into its own environment; slow at 100k)",
    )
    parser.add_argument(
        "--installed",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time start-up in a regular install (made in its own environment)",
    )
    parser.add_argument("--installed-venv", type=Path, default=None, metavar="DIR")
    parser.add_argument("--octodns-sizes", default="10000,100000")
    parser.add_argument("--octodns-venv", type=Path, default=None, metavar="DIR")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        run(args, Path(folder))
    return 0


def run(args: argparse.Namespace, folder: Path) -> None:
    sizes = [int(size) for size in args.sizes.split(",")]
    out = Section("plan", "Plan, validate, the state write, big plans, start-up, and octoDNS")
    out.line(
        "| numbers | spellings | yaml.load floor (s) | plan (s) | plan / floor | target "
        "| peak memory (MiB) | plan |"
    )
    out.line("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    runs = [(size, True) for size in sizes] + [(size, False) for size in sizes if size >= 10_000]
    for size, mixed in runs:
        r = bench_size(size, folder, args.repeat, mixed)
        c = r["counts"]
        summary = f"{c['purchase']} new, {c['update']} changed, {c['unchanged']} unchanged"  # type: ignore[index]
        out.line(
            f"| {size:,} | {'three' if mixed else 'all E.164'} | {r['floor']:.3f} | "
            f"{r['plan']:.3f} | {r['ratio']:.2f} | {'1.5' if mixed else '1.3'} | "
            f"{r['peak']:.0f} | {summary} |"
        )
    out.line()
    out.line(
        "| numbers | validate, valid (s) | one bad number (s) | ratio "
        "| one unknown key (s) | ratio |"
    )
    out.line("| ---: | ---: | ---: | ---: | ---: | ---: |")
    v = bench_validate(max(sizes), folder, args.repeat)
    out.line(
        f"| {max(sizes):,} | {v['valid']:.3f} | {v['number']:.3f} | "
        f"{v['number'] / v['valid']:.2f} | {v['key']:.3f} | {v['key'] / v['valid']:.2f} |"
    )
    _, big_state = write_inputs(max(sizes), folder)
    writes = [measure("write", big_state, big_state) for _ in range(args.repeat)]
    whole = min(float(w["seconds"]) for w in writes)  # type: ignore[arg-type]
    serialise = min(float(w["serialise"]) for w in writes)  # type: ignore[arg-type]
    out.line()
    out.line(
        f"state write of {STATE_WRITE_SIZE:,} numbers: {whole:.3f} s in all, of which "
        f"serialising {serialise:.3f} s (best of {args.repeat}; target <= 0.1 s)"
    )
    whole_processes(args, folder, out)


def whole_processes(args: argparse.Namespace, folder: Path, out: Section) -> None:
    """The tables of whole processes (big plans, start-up, octoDNS), then the README."""
    if args.big:
        env = startup.process_env(folder)
        big_plans.big_plan_table(args.big, folder, args.repeat, env, out)
    installed = args.installed_venv or startup.default_venv()
    startup.startup_table(folder, installed if args.installed else None, out)
    if args.octodns:
        sizes = [int(s) for s in args.octodns_sizes.split(",")]
        venv = args.octodns_venv or versus_octodns.default_venv()
        octodns_table(sizes, folder, args.repeat, venv, out)
    out.write()


if __name__ == "__main__":
    raise SystemExit(main())
