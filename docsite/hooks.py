"""MkDocs hooks of the documentation site (``mkdocs.yml`` names this file).

- The manifest reference page is generated from ``schemas/manifest.schema.json`` at
  every build (``manifest_reference``), so it cannot drift from the schema the tools
  check manifests with.
- The pages link to files of the repository outside ``docs/`` (``../examples/...``,
  ``../action.yml``), as they must to work when read on a git host. The site copies each
  such file under ``repository/`` and points the link there; a link to a file that does
  not exist stays as it is, and the strict build fails on it.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "schemas" / "manifest.schema.json"
REFERENCE_PAGE = "manifest-reference.md"
COPIED = "repository"
# A Markdown link's target, outside code: ](target) or ](target#fragment).
LINK = re.compile(r"\]\((\.\./[^)\s#]+)(#[^)\s]*)?\)")

INTRO = """\
# Manifest reference

Every key of the manifest, generated from `schemas/manifest.schema.json` (the schema
`exoplan validate`, `plan` and `apply` check a manifest against, and that editors use to
complete it; `exoplan schema` prints it). What the keys mean together, with examples:
[The manifest](manifest.md).
"""


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    target: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return _resolve(schema, target)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return f"`{shown}`"


def _type(schema: dict[str, Any], node: dict[str, Any]) -> str:
    if "const" in node:
        return _code(node["const"])
    if "enum" in node:
        return " | ".join(_code(value) for value in node["enum"])
    kinds = node.get("type", "")
    text = " or ".join(kinds) if isinstance(kinds, list) else str(kinds)
    if text == "array" and isinstance(node.get("items"), dict):
        text = f"list of {_type(schema, _resolve(schema, node['items']))}"
    return text


def _limits(node: dict[str, Any]) -> str:
    shown = []
    for key, label in (("minimum", "at least"), ("maximum", "at most"), ("minLength", "length ≥")):
        if key in node:
            shown.append(f"{label} {node[key]}")
    if "pattern" in node:
        shown.append(f"matches `{node['pattern']}`")
    return "; ".join(shown)


def _scalar(value: Any) -> bool:
    """A value short enough for a table cell: not a mapping, nor a list of mappings."""
    if isinstance(value, list):
        return all(not isinstance(item, dict | list) for item in value)
    return not isinstance(value, dict)


def _row(schema: dict[str, Any], path: str, node: dict[str, Any], required: bool) -> str:
    description = node.get("markdownDescription") or node.get("description", "")
    limits = _limits(node)
    default = _code(node["default"]) if "default" in node else ""
    shown = [example for example in node.get("examples", [])[:2] if _scalar(example)]
    examples = ", ".join(_code(example) for example in shown)
    cells = [
        f"`{path}`",
        _cell(_type(schema, node)),
        "yes" if required else "no",
        _cell(default),
        _cell(description + (f" ({limits})" if limits else "")),
        _cell(examples),
    ]
    return "| " + " | ".join(cells) + " |"


def _children(path: str, node: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """The keys directly below ``node``, with their paths, as (path, node, required)."""
    required = set(node.get("required", []))
    found = [
        (f"{path}.{name}" if path else name, child, name in required)
        for name, child in node.get("properties", {}).items()
    ]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        found.append((f"{path}.NAME", extra, False))
    items = node.get("items")
    if isinstance(items, dict):
        found.append((f"{path}[]", items, False))
    return found


def _walk(schema: dict[str, Any], path: str, node: dict[str, Any], rows: list[str]) -> None:
    for child_path, child, required in _children(path, _resolve(schema, node)):
        resolved = _resolve(schema, child)
        if not child_path.endswith(("[]", ".NAME")):
            rows.append(_row(schema, child_path, resolved, required))
        _walk(schema, child_path, resolved, rows)


def manifest_reference(schema: dict[str, Any]) -> str:
    """The reference page: one table row per key of the manifest, in the schema's order."""
    rows = [
        "| key | type | required | default | meaning | examples |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    _walk(schema, "", schema, rows)
    description = schema.get("markdownDescription") or schema.get("description", "")
    return f"{INTRO}\n{description}\n\n" + "\n".join(rows) + "\n"


def outward_links(markdown: str) -> list[str]:
    """Targets of links that leave ``docs/`` (``../something``), outside code fences."""
    without_code = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return [match[1] for match in LINK.finditer(without_code)]


# --- MkDocs events -----------------------------------------------------------------


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File, InclusionLevel

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    files.append(File.generated(config, REFERENCE_PAGE, content=manifest_reference(schema)))
    docs = Path(config["docs_dir"])
    wanted = set()
    for page in docs.rglob("*.md"):
        for target in outward_links(page.read_text(encoding="utf-8")):
            path = (page.parent / target).resolve()
            if path.is_file() and path.suffix != ".md" and REPO in path.parents:
                wanted.add(path.relative_to(REPO).as_posix())
    for relative in sorted(wanted):
        content = (REPO / relative).read_bytes()
        copied = f"{COPIED}/{relative}"
        # Included even when the name starts with a dot (.pre-commit-hooks.yaml).
        files.append(
            File.generated(config, copied, content=content, inclusion=InclusionLevel.INCLUDED)
        )
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    here = posixpath.dirname(page.file.src_uri)

    def point(match: re.Match[str]) -> str:
        target, fragment = match[1], match[2] or ""
        relative = posixpath.normpath(posixpath.join("docs", here, target))
        if files.get_file_from_path(f"{COPIED}/{relative}") is None:
            return match[0]
        link = posixpath.relpath(f"{COPIED}/{relative}", here or ".")
        return f"]({link}{fragment})"

    return LINK.sub(point, markdown)
