"""reconciler.cli.options: numeric flags out of range exit 1 naming the flag, never crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.main import main
from tests.support.project import numbers, snapshot, write_manifest


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--timeout", "nan"),
        ("--timeout", "inf"),
        ("--timeout", "-inf"),
        ("--timeout", "1e308"),
        ("--timeout", "0"),
        ("--rate-limit", "1e-300"),
        ("--rate-limit", "nan"),
        ("--rate-limit", "inf"),
        ("--rate-limit", "-1"),
        ("--rate-limit", "1e308"),
        ("--read-rate-limit", "nan"),
        ("--read-rate-limit", "-50"),
        ("--read-rate-limit", "fast"),
        ("--read-rate-limit", "0.001"),
        ("--read-rate-limit", "1e308"),
        ("--lock-timeout", "nan"),
        ("--lock-timeout", "1e308"),
        ("--parallelism", "0"),
        ("--parallelism", "9" * 5000),
    ],
)
def test_an_out_of_range_flag_exits_1_naming_it_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    write_manifest(tmp_path, numbers(2))
    before = snapshot(tmp_path)
    args = ["apply", "-f", str(tmp_path / "numbers.yaml"), "--auto-approve", flag, value]
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 1
    assert f"argument {flag}: expected" in err and err.startswith("usage:")
    assert len(err) < 2000
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("--port", "70000"), "--port"),
        (("--port", "-1"), "--port"),
        (("--latency", "99999999999"), "--latency"),
        (("--fail-rate", "nan"), "--fail-rate"),
        (("--rate-limit", "9" * 50), "--rate-limit"),
        (("--read-rate-limit", "9" * 50), "--read-rate-limit"),
        (("--read-rate-limit", "lots"), "--read-rate-limit"),
        (("--drop-rate", "1.5"), "--drop-rate"),
    ],
)
def test_sandbox_flags_out_of_range_exit_1(
    capsys: pytest.CaptureFixture[str], args: tuple[str, str], flag: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sandbox", *args])
    assert exit_.value.code == 1
    assert f"argument {flag}: expected" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value", "parsed"),
    [
        ("--timeout", "0.5", 0.5),
        ("--rate-limit", "0", 0.0),
        ("--rate-limit", "0.5", 0.5),
        ("--read-rate-limit", "0", 0.0),
        ("--read-rate-limit", "300", 300.0),
    ],
)
def test_sensible_values_pass(flag: str, value: str, parsed: float) -> None:
    from reconciler.cli.parser import build_parser

    args = build_parser().parse_args(["plan", "--refresh", flag, value])
    assert getattr(args, flag.lstrip("-").replace("-", "_")) == parsed


@pytest.mark.parametrize("command", [["export"], ["search", "--country", "IN"], ["sandbox"]])
@pytest.mark.parametrize("sid", ["acme/../x?y", "a\nb", "a\u202eb", ""])
def test_an_account_sid_flag_is_letters_digits_dashes_and_underscores(
    capsys: pytest.CaptureFixture[str], command: list[str], sid: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--account-sid", sid])
    err = capsys.readouterr().err
    assert exit_.value.code == 1
    assert "argument --account-sid: an account SID is letters, digits, - and _ only" in err
