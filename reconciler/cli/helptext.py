"""What ``exoplan COMMAND --help`` says about each command: one line, and a short example.

Kept apart from the parser so that the parser reads as the list of flags, and so that a
test can hold every command to having both.
"""

from __future__ import annotations

import argparse
from typing import Any

#: command (``state list`` for a verb) -> (one-line description, example lines)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "check the manifest; report every problem",
        "exoplan validate -f numbers.yaml\nexoplan validate numbers/*.yaml",
    ),
    "plan": (
        "show what apply would change",
        "exoplan plan -f numbers.yaml\nexoplan plan --refresh --out numbers.plan\n"
        "exoplan plan -f accounts/",
    ),
    "apply": (
        "make the account match the plan",
        "exoplan apply -f numbers.yaml\nexoplan apply numbers.plan --auto-approve\n"
        "exoplan apply -f accounts/ --jobs 4",
    ),
    "refresh": (
        "update the state from the live account",
        "exoplan refresh -f numbers.yaml",
    ),
    "import": (
        "adopt numbers the account owns, without buying",
        "exoplan import +918030240001\nexoplan import --all",
    ),
    "drift": (
        "report changes made outside exoplan and numbers it does not manage (read-only)",
        "exoplan drift -f numbers.yaml\nexoplan drift --format markdown",
    ),
    "export": (
        "write a manifest of the live account",
        "exoplan export --account-sid acme1 --region mumbai -o numbers.yaml",
    ),
    "search": (
        "list numbers Exotel has for sale (a country and type)",
        "exoplan search --country IN --type Landline --region KA --sms\n"
        "exoplan search --country IN --type Mobile --contains 80 --format yaml",
    ),
    "state": ("inspect or edit exoplan's state", "exoplan state list"),
    "state list": ("one line per managed number", "exoplan state list --state numbers.state.json"),
    "state show": ("one managed number as JSON", "exoplan state show +918030240001"),
    "state rm": ("forget numbers without releasing them", "exoplan state rm +918030240001"),
    "state history": (
        "the kept versions: serial, time, command, host",
        "exoplan state history",
    ),
    "state migrate": (
        "copy the state to another store (file or PostgreSQL)",
        "exoplan state migrate --to 'postgresql://exoplan@db/exoplan?name=acme1'",
    ),
    "state diff": (
        "what changed between two states, field by field",
        "exoplan state diff numbers.state.json numbers.state.json.backup\n"
        "exoplan state diff --from-version 6 --to-version 7",
    ),
    "force-unlock": ("remove a stale state lock", "exoplan force-unlock --yes"),
    "sandbox": (
        "run a local stand-in of Exotel's ExoPhone API",
        "exoplan sandbox --port 8080 --rate-limit 50 --latency 200\n"
        "exoplan sandbox --rate-limit 50 --read-rate-limit 300 --drop-rate 0.05",
    ),
    "schema": (
        "print a JSON Schema exoplan ships (for editors)",
        "exoplan schema manifest > manifest.schema.json\nexoplan schema --path",
    ),
    "completion": (
        "print a shell completion script (bash or zsh)",
        'eval "$(exoplan completion bash)"\nexoplan completion zsh > "${fpath[1]}/_exoplan"',
    ),
}


def help_kwargs(command: str) -> dict[str, Any]:
    """The add_parser keywords that give ``command`` its help line, description and example."""
    line, example = COMMANDS[command]
    examples = "\n".join(f"  {text}" for text in example.splitlines())
    return {
        "help": line,
        "description": line[0].upper() + line[1:] + ".",
        "epilog": f"example:\n{examples}",
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
