"""Help for every command, global flags on either side of the command, shell completion."""

from __future__ import annotations

import argparse
import io
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.cli.helptext import COMMANDS
from reconciler.cli.io import use_color
from reconciler.cli.main import main
from reconciler.cli.parser import build_parser
from tests.support.run import Runner


def _subcommands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[prefix + name] = sub
                found.update(_subcommands(sub, f"{prefix}{name} "))
    return found


def test_every_command_has_a_help_line_and_an_example() -> None:
    assert set(_subcommands(build_parser())) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_shows_the_description_and_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command.split(), "--help"])
    out = capsys.readouterr().out
    line, example = COMMANDS[command]
    assert done.value.code == 0
    assert line[1:] in out and "example:\n" in out
    assert all(f"  {text}\n" in out for text in example.splitlines())


def test_bare_exoplan_prints_help_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: exoplan") and "validate" in out and "completion" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-color", "-v", "validate", "-f", "x.yaml"],
        ["validate", "--no-color", "-v", "-f", "x.yaml"],
        ["-v", "validate", "--no-color", "-f", "x.yaml"],
    ],
)
def test_global_options_work_before_or_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.no_color, args.verbose, args.manifest) == (True, 1, "x.yaml")


def _example_argvs() -> list[list[str]]:
    """Every example --help shows, as the arguments after `exoplan`, plus global flags
    around commands and arguments that name no command."""
    argvs = [
        shlex.split(line)[1:]
        for _, example in COMMANDS.values()
        for line in example.splitlines()
        if line.startswith("exoplan ")
    ]
    return [*argvs, ["-v", "--no-color", "plan", "-v"], ["--", "plan"], ["-v"], ["-f", "plan"]]


@pytest.mark.parametrize("argv", _example_argvs(), ids=" ".join)
def test_the_parser_built_for_a_command_parses_as_the_whole_parser(argv: list[str]) -> None:
    """main builds only the named command's flags; what it parses must not change."""

    def outcome(parser: argparse.ArgumentParser) -> object:
        try:
            return vars(parser.parse_args(argv))
        except SystemExit as exc:
            return ("exit", exc.code)

    assert outcome(build_parser(argv)) == outcome(build_parser())


@pytest.mark.parametrize("command", [None, *sorted(c for c in COMMANDS if " " not in c)])
def test_the_parser_built_for_a_command_helps_as_the_whole_parser(command: str | None) -> None:
    whole = build_parser()
    built = build_parser([command] if command else ["--help"])
    assert built.format_help() == whole.format_help()
    if command:
        assert _subcommands(built)[command].format_help() == (
            _subcommands(whole)[command].format_help()
        )


def test_global_options_default_when_not_given() -> None:
    args = build_parser().parse_args(["schema"])
    assert (args.no_color, args.verbose) == (False, 0)


@pytest.mark.parametrize(
    ("command", "flag"),
    [("validate", "--state"), ("export", "--state"), ("sandbox", "-f"), ("schema", "--state")],
)
def test_flags_that_do_nothing_for_a_command_are_not_offered(command: str, flag: str) -> None:
    sub = _subcommands(build_parser())[command]
    assert flag not in sub._option_string_actions


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts_are_generated_from_the_parser(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for word in ("validate", "force-unlock", "--allow-release", "--detailed-exitcode"):
        assert word in script


def test_the_bash_completion_script_is_valid_bash(capsys: pytest.CaptureFixture[str]) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    checked = subprocess.run([bash, "-n"], input=script, text=True, capture_output=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def test_the_zsh_completion_script_is_valid_zsh(capsys: pytest.CaptureFixture[str]) -> None:
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh is not installed")
    assert main(["completion", "zsh"]) == 0
    script = capsys.readouterr().out
    checked = subprocess.run([zsh, "-n"], input=script, text=True, capture_output=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
        ({"TERM": "dumb"}, True, False),
        ({"TERM": "xterm"}, True, True),
        ({"TERM": "xterm"}, False, False),
    ],
)
def test_colour_follows_force_color_term_and_the_terminal(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, expected: bool
) -> None:
    for name in ("FORCE_COLOR", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = io.StringIO()
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    assert use_color(argparse.Namespace(no_color=False), stream) is expected


def test_validation_errors_are_coloured_when_colour_is_on(
    run_exoplan: Runner, tmp_path: Path
) -> None:
    (tmp_path / "numbers.yaml").write_text(
        "version: 1\naccount:\n  sid: a\n  colour: x\nnumbers: []\n"
    )
    result = run_exoplan("validate", env={"FORCE_COLOR": "1"})
    assert result.code == 1
    assert "\033[1;31mnumbers.yaml:4:3: \033[0munknown key 'colour'" in result.stderr
    assert "\033[1;31merror: \033[0m1 problem" in result.stderr
    plain = run_exoplan("validate", "--no-color", env={"FORCE_COLOR": "1"})
    assert "\033" not in plain.stderr


def test_every_command_with_a_rate_limit_has_a_read_rate_limit() -> None:
    offering = {
        name: sub
        for name, sub in _subcommands(build_parser()).items()
        if "--rate-limit" in sub._option_string_actions
    }
    assert set(offering) == {
        "plan",
        "apply",
        "refresh",
        "import",
        "drift",
        "export",
        "search",
        "sandbox",
    }
    assert all("--read-rate-limit" in sub._option_string_actions for sub in offering.values())


def test_read_rate_limit_defaults_to_what_exotel_advertises() -> None:
    args = build_parser().parse_args(["refresh"])
    assert args.read_rate_limit is None and args.rate_limit == 50.0
    help_text = _subcommands(build_parser())["refresh"].format_help()
    assert "X-RateLimit-*" in help_text


@pytest.mark.parametrize(
    "words",
    [
        ["plan", "-f"],
        ["plan", "--state"],
        ["plan", "--out"],
        ["apply"],
        ["state", "migrate", "--to"],
        ["export", "--output"],
        ["sandbox", "--seed"],
    ],
)
def test_bash_completes_file_names_where_a_file_goes(
    words: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    assert main(["completion", "bash"]) == 0
    (tmp_path / "completion.bash").write_text(capsys.readouterr().out, encoding="utf-8")
    (tmp_path / "prod-numbers.yaml").write_text("", encoding="utf-8")
    line = shlex.join(["exoplan", *words]) + " prod-"
    script = (
        "source completion.bash\n"
        f"COMP_WORDS=({line}); COMP_CWORD={len(words) + 1}\n"
        f"COMP_LINE={shlex.quote(line)}; COMP_POINT=${{#COMP_LINE}}\n"
        '_shtab_exoplan; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        [bash, "-c", script], cwd=tmp_path, text=True, capture_output=True, timeout=30
    )
    assert done.stdout.split() == ["prod-numbers.yaml"], done.stderr
