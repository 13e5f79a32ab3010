"""The documentation: the generated manifest reference covers the schema, and every
relative link of the README and of the pages under docs/ resolves (file and anchor)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.markdown import headings_slugs, relative_links

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
SCHEMA = json.loads((REPO / "schemas" / "manifest.schema.json").read_text(encoding="utf-8"))


def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docsite_hooks", REPO / "docsite" / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def schema_keys(node: dict[str, Any], path: str = "") -> list[str]:
    """Every key the schema allows, as the reference names it (numbers[].number, ...)."""
    if "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    keys = []
    for name, child in node.get("properties", {}).items():
        keys.append(f"{path}.{name}" if path else name)
        keys += schema_keys(child, keys[-1])
    if isinstance(node.get("additionalProperties"), dict):
        keys += schema_keys(node["additionalProperties"], f"{path}.NAME")
    if isinstance(node.get("items"), dict):
        keys += schema_keys(node["items"], f"{path}[]")
    return keys


def test_the_schema_has_the_keys_the_walk_expects() -> None:
    keys = schema_keys(SCHEMA)
    assert {"account.sid", "flows.NAME.app_id", "numbers[].number", "pools.NAME.count"} <= set(keys)


@pytest.mark.parametrize("key", schema_keys(SCHEMA))
def test_the_manifest_reference_covers_every_key(key: str) -> None:
    page = hooks().manifest_reference(SCHEMA)
    assert f"| `{key}` |" in page


def test_the_manifest_reference_follows_the_schema() -> None:
    changed = json.loads(json.dumps(SCHEMA))
    changed["properties"]["account"]["properties"]["colour"] = {
        "description": "A key added to the schema.",
        "enum": ["red", "blue"],
    }
    page = hooks().manifest_reference(changed)
    row = next(line for line in page.splitlines() if line.startswith("| `account.colour` |"))
    assert "`red` \\| `blue`" in row and "A key added to the schema." in row


GENERATED = {"manifest-reference.md"}


def doc_links() -> list[tuple[str, str]]:
    found = [("README.md", link) for link in relative_links(read(REPO / "README.md"))]
    for page in sorted(DOCS.rglob("*.md")):
        name = page.relative_to(REPO).as_posix()
        found += [(name, link) for link in relative_links(read(page))]
    return found


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("page", "link"), doc_links())
def test_every_link_resolves(page: str, link: str) -> None:
    target, _, fragment = link.partition("#")
    source = REPO / page
    path = (source.parent / target).resolve() if target else source
    if page.startswith("docs/") and path.parent == DOCS and path.name in GENERATED:
        return  # made by the site's build, from the schema
    assert path.exists(), f"{page} links to {link}, which does not exist"
    if fragment and path.suffix == ".md":
        assert fragment in headings_slugs(read(path)), f"{page}: no heading for {link}"


def test_every_docs_page_is_in_the_site_navigation() -> None:
    nav = read(REPO / "mkdocs.yml")
    pages = {page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md")} | GENERATED
    listed = set(re.findall(r":\s*([\w/-]+\.md)\s*$", nav, flags=re.M))
    assert pages == listed
