"""JSON Schema validation with readable messages, fast on long lists of like entries.

A manifest's ``numbers`` list may hold 100,000 entries of a handful of shapes. The
entry schema constrains only keys and value types, so an entry's verdict depends
only on its shape (each key with the type of its value): each valid shape is checked
once with jsonschema and remembered. A test pins that the entry schema stays that way.
The shipped schema also carries value rules for editors (the pattern of a phone number,
of an app id); the caller names the properties whose values it judges itself, with a
better message, and only their type is checked here.

A valid document never imports jsonschema: :mod:`~reconciler.manifest.gate` vouches
for it first, and jsonschema is asked (and imported) only where the gate cannot, so
every finding, message and path is still jsonschema's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from reconciler.errors import shorten
from reconciler.manifest.gate import conforms
from reconciler.manifest.yaml import PathItem

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

_JSON_TYPES = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    type(None): "empty",
}
_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "null": "empty",
}
#: Keywords whose verdict depends only on an instance's keys and value types, and
#: annotations, which have no verdict.
SHAPE_KEYWORDS = frozenset(
    {"type", "properties", "required", "additionalProperties", "description", "title"}
    | {"default", "examples", "markdownDescription", "$comment"}
)


@dataclass(frozen=True, slots=True)
class SchemaFinding:
    """One schema violation: where (keys and indices) and what to do."""

    path: tuple[PathItem, ...]
    message: str
    at_key: bool = False


class SchemaChecker:
    """Validates documents against ``schema``; entries of list ``repeated`` by shape."""

    def __init__(
        self, schema: dict[str, Any], repeated: str, judged_elsewhere: frozenset[str] = frozenset()
    ) -> None:
        self.schema = _shapes_only(schema, judged_elsewhere)
        self.repeated = repeated
        item_schema = self.schema["properties"][repeated]["items"]
        self.item_schema = _resolve(self.schema, item_schema)
        self._valid_shapes: set[tuple[tuple[str, type], ...]] = set()

    @cached_property
    def validator(self) -> Validator:
        """jsonschema's validator of whole documents, built when first asked for."""
        from jsonschema import Draft202012Validator, validators

        finite = Draft202012Validator.TYPE_CHECKER.redefine("number", _finite_number)
        checking: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
            Draft202012Validator, type_checker=finite
        )
        return checking(self.schema)

    @cached_property
    def item_validator(self) -> Validator:
        """jsonschema's validator of one entry of the repeated list."""
        return self.validator.evolve(schema=self.item_schema)

    def check(self, document: dict[str, Any]) -> list[SchemaFinding]:
        entries = document.get(self.repeated)
        if not isinstance(entries, list):
            return self._findings(document)
        top = dict(document)
        top[self.repeated] = []
        findings = self._findings(top)
        for index, entry in enumerate(entries):
            findings.extend(self._check_entry(entry, (self.repeated, index)))
        return findings

    def _findings(self, document: Any) -> list[SchemaFinding]:
        if conforms(document, self.schema):
            return []
        return _translate(self.validator.iter_errors(document), ())

    def _check_entry(self, entry: Any, prefix: tuple[PathItem, ...]) -> list[SchemaFinding]:
        shape = _shape(entry)
        if shape is not None and shape in self._valid_shapes:
            return []
        if conforms(entry, self.item_schema):
            findings = []
        else:
            findings = _translate(self.item_validator.iter_errors(entry), prefix)
        if not findings and shape is not None:
            self._valid_shapes.add(shape)
        return findings


def _finite_number(checker: Any, instance: Any) -> bool:
    """JSON has no NaN or infinity; YAML's .nan and .inf are not numbers a manifest means."""
    if isinstance(instance, float):
        return math.isfinite(instance)
    return isinstance(instance, int) and not isinstance(instance, bool)


def _shape(entry: Any) -> tuple[tuple[str, type], ...] | None:
    if not isinstance(entry, dict):
        return None
    return tuple((key, type(value)) for key, value in entry.items())


def _shapes_only(node: Any, names: frozenset[str]) -> Any:
    """``node`` with only shape keywords left in the properties called one of ``names``."""
    if isinstance(node, list):
        return [_shapes_only(child, names) for child in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _shapes_only(child, names) for key, child in node.items()}
    properties = copy.get("properties")
    if isinstance(properties, dict):
        copy["properties"] = {
            name: _keep_shape(child) if name in names else child
            for name, child in properties.items()
        }
    return copy


def _keep_shape(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    return {key: value for key, value in node.items() if key in SHAPE_KEYWORDS}


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The entry schema as a standalone schema (its $ref resolved, $defs kept)."""
    ref = node.get("$ref", "")
    target = root["$defs"][ref.rsplit("/", 1)[-1]] if ref.startswith("#/$defs/") else node
    return {**target, "$defs": root.get("$defs", {})}


def _translate(errors: Any, prefix: tuple[PathItem, ...]) -> list[SchemaFinding]:
    findings: list[SchemaFinding] = []
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        findings.extend(_explain(error, prefix + tuple(error.absolute_path)))
    return findings


def _explain(error: ValidationError, path: tuple[PathItem, ...]) -> list[SchemaFinding]:
    name = _name(path)
    kind = error.validator
    if kind == "additionalProperties":
        schema = error.schema if isinstance(error.schema, dict) else {}
        known = schema.get("properties", {})
        allowed = sorted(known)
        instance = error.instance if isinstance(error.instance, dict) else {}
        extra = [k for k in instance if k not in known]
        return [
            SchemaFinding(path + (key,), _unknown_key(key, name, allowed), at_key=True)
            for key in extra
        ]
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [SchemaFinding(path, f"{name} is missing the required key '{missing}'")]
    if kind == "dependentRequired":
        return _dependents(error, path, name)
    return [SchemaFinding(path, _message(error, name, path))]


def _dependents(
    error: ValidationError, path: tuple[PathItem, ...], name: str
) -> list[SchemaFinding]:
    """'releases.quarantine_days needs releases.quarantine_flow too', at the key given."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    wanted = error.validator_value if isinstance(error.validator_value, dict) else {}
    return [
        SchemaFinding(path + (key,), f"{name}.{key} needs {name}.{dep} too", at_key=True)
        for key, deps in wanted.items()
        if key in instance
        for dep in deps
        if dep not in instance
    ]


def _message(error: ValidationError, name: str, path: tuple[PathItem, ...]) -> str:
    kind = error.validator
    if kind == "type" and isinstance(error.instance, float) and not math.isfinite(error.instance):
        return f"{name} must be a finite number, not {error.instance} (.nan and .inf are refused)"
    if kind == "type":
        wanted = error.validator_value
        wanted_list = wanted if isinstance(wanted, list) else [wanted]
        expected = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in wanted_list)
        got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        hint = ': put it in quotes, e.g. "+918030240001"' if path[-1:] == ("number",) else ""
        return f"{name} must be {expected}, not {got}{hint}"
    if kind == "const":
        return f"{name} must be {error.validator_value!r}, not {_shown(error.instance)}"
    if kind == "enum":
        values = error.validator_value
        options = ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)
        return f"{name} must be one of: {options} (not {_shown(error.instance)})"
    if kind == "pattern" and path[-1:] in (("key_env",), ("token_env",)):
        return _not_a_variable_name(name)
    if kind == "pattern" and path[-1:] == ("default_country",):
        return f"{name} must be a two-letter country code such as IN, not {_shown(error.instance)}"
    if kind == "pattern" and path[-1:] == ("flow_host",):
        return (
            f"{name} must be a host name such as my.in.exotel.com (no scheme, port or path), "
            f"not {_shown(error.instance)}"
        )
    if kind == "pattern" and path[-2:-1] == ("ignore",):
        return (
            f'{name} must be a pattern of an E.164 number such as "+9122*" (digits, +, '
            f"and the wildcards * ? [ ]), not {_shown(error.instance)}"
        )
    if kind == "pattern" and path == ("account", "sid"):
        return (
            f"{name} must be letters, digits, - and _ only (the SID shown under API "
            f"Settings), not {_shown(error.instance)}"
        )
    if kind == "minLength":
        return f"{name} must not be empty"
    return f"{name}: {shorten(error.message, 200)}"


def _not_a_variable_name(name: str) -> str:
    """Its value is never shown: a secret pasted here by mistake must not be echoed."""
    return (
        f"{name} must name an environment variable (letters, digits and _), such as "
        "ACME_KEY: the key and token go in that variable, never in the manifest"
    )


def _shown(value: Any) -> str:
    return shorten(repr(value))


def _unknown_key(key: Any, where: str, allowed: list[str]) -> str:
    return f"unknown key '{shorten(str(key))}' in {where}: allowed keys are {', '.join(allowed)}"


def _name(path: tuple[PathItem, ...]) -> str:
    if not path:
        return "the manifest"
    parts = [f"[{p}]" if isinstance(p, int) else f".{shorten(str(p), 40)}" for p in path]
    return "".join(parts).lstrip(".")
