"""A quick yes to "does this document conform to the schema?", or no answer at all.

jsonschema costs more to import than the rest of a small plan takes to run, and a
manifest is valid far more often than not. This module knows the few keywords the
shipped manifest schema uses, with the meanings Draft 2020-12 gives them, and answers
True only when the document surely conforms. Anything else it cannot vouch for (a
keyword it does not know, a ``$ref`` outside ``#/$defs``, a YAML date, a float where a
whole number is wanted, a violation) gets False, and the caller asks jsonschema, whose
findings (and messages) stay the only ones ever shown. A property test holds the
two together: whatever this module passes, jsonschema passes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

#: Keywords that annotate and never reject.
ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "markdownDescription"}
    | {"default", "examples"}
)

Schema = Any  # a mapping, or True / False
#: A schema that is a mapping (a node, or the root its ``$ref``s point into): only read.
Node = Mapping[str, Any]
Check = Callable[[Any, Any, Node, Node], bool]


def conforms(instance: Any, schema: Schema, root: Node | None = None) -> bool:
    """True when ``instance`` surely conforms to ``schema`` (resolving ``$ref`` in
    ``root``, by default ``schema`` itself); False when it does not, or may not."""
    return _conforms(instance, schema, schema if root is None else root)


def _conforms(instance: Any, node: Schema, root: Node) -> bool:
    if node is True:
        return True
    if not isinstance(node, dict):
        return False  # the false schema, or not a schema
    for keyword, value in node.items():
        if keyword in ANNOTATIONS:
            continue
        check = _CHECKS.get(keyword)
        if check is None or not check(instance, value, node, root):
            return False
    return True


def _json_type(instance: Any) -> str | None:
    """The JSON type of a value as jsonschema sees it; None for anything outside JSON."""
    if isinstance(instance, bool):
        return "boolean"
    if isinstance(instance, int):
        return "integer"
    if isinstance(instance, float):
        return "number" if math.isfinite(instance) else None  # JSON has no NaN, no infinity
    if isinstance(instance, str):
        return "string"
    if isinstance(instance, dict):
        return "object"
    if isinstance(instance, list):
        return "array"
    return "null" if instance is None else None


def _type(instance: Any, value: Any, node: Node, root: Node) -> bool:
    wanted = value if isinstance(value, list) else [value]
    kind = _json_type(instance)
    # A float is never vouched for as an integer (jsonschema takes 1.0 for one).
    return kind in wanted or (kind == "integer" and "number" in wanted)


def _same(instance: Any, value: Any) -> bool:
    """Equal as JSON values, for the scalars the schema names (True is not 1)."""
    if value is None or isinstance(value, (str, int, float)):
        return type(instance) is type(value) and instance == value
    return False


def _const(instance: Any, value: Any, node: Node, root: Node) -> bool:
    return _same(instance, value)


def _enum(instance: Any, value: Any, node: Node, root: Node) -> bool:
    return isinstance(value, list) and any(_same(instance, v) for v in value)


def _pattern(instance: Any, value: Any, node: Node, root: Node) -> bool:
    return not isinstance(instance, str) or re.search(value, instance) is not None


def _min_length(instance: Any, value: Any, node: Node, root: Node) -> bool:
    return not isinstance(instance, str) or len(instance) >= value


def _is_number(instance: Any) -> bool:
    return isinstance(instance, (int, float)) and not isinstance(instance, bool)


def _minimum(instance: Any, value: Any, node: Node, root: Node) -> bool:
    return not _is_number(instance) or bool(instance >= value)


def _maximum(instance: Any, value: Any, node: Node, root: Node) -> bool:
    return not _is_number(instance) or bool(instance <= value)


def _required(instance: Any, value: Any, node: Node, root: Node) -> bool:
    return not isinstance(instance, dict) or all(key in instance for key in value)


def _dependent(instance: Any, value: Any, node: Node, root: Node) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(all(d in instance for d in deps) for k, deps in value.items() if k in instance)


def _properties(instance: Any, value: Any, node: Node, root: Node) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(_conforms(instance[key], sub, root) for key, sub in value.items() if key in instance)


def _additional(instance: Any, value: Any, node: Node, root: Node) -> bool:
    if not isinstance(instance, dict):
        return True
    known = node.get("properties", {})
    return all(_conforms(v, value, root) for k, v in instance.items() if k not in known)


def _items(instance: Any, value: Any, node: Node, root: Node) -> bool:
    if not isinstance(instance, list):
        return True
    return all(_conforms(item, value, root) for item in instance)


def _ref(instance: Any, value: Any, node: Node, root: Node) -> bool:
    prefix = "#/$defs/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return False  # anything but a name under $defs: jsonschema resolves it
    name = value[len(prefix) :]
    if re.fullmatch(r"[A-Za-z0-9_-]+", name) is None:
        return False  # a JSON pointer with escapes or more steps
    target = root.get("$defs", {}).get(name)
    return target is not None and _conforms(instance, target, root)


_CHECKS: dict[str, Check] = {
    "type": _type,
    "const": _const,
    "enum": _enum,
    "pattern": _pattern,
    "minLength": _min_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "required": _required,
    "dependentRequired": _dependent,
    "properties": _properties,
    "additionalProperties": _additional,
    "items": _items,
    "$ref": _ref,
}
