"""Search results (numbers for sale) -> a table, paste-ready ``numbers:`` YAML, or JSON.

Formatting only; every value from Exotel is escaped (``terminal`` for the table, JSON
string quoting for YAML and JSON).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from reconciler.model import Available
from reconciler.render.escape import terminal
from reconciler.render.text import money

_HEADER = ("NUMBER", "TYPE", "REGION", "VOICE", "SMS", "MONTHLY RENTAL")


def render_search(found: list[Available], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump([available_to_data(item) for item in found], out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif fmt == "yaml":
        out.write(yaml_entries(found))
    else:
        out.write(table(found))


def available_to_data(item: Available) -> dict[str, Any]:
    return {
        "number": item.number,
        "type": item.number_type,
        "region": item.region,
        "capabilities": {"voice": item.voice, "sms": item.sms},
        "rental": {"price": item.rental_price, "currency": item.currency},
    }


def table(found: list[Available]) -> str:
    if not found:
        return "No numbers for sale match these criteria.\n"
    rows = [_HEADER] + [
        (
            terminal(item.number),
            terminal(item.number_type or "?"),
            terminal(item.region or "?"),
            "yes" if item.voice else "no",
            "yes" if item.sms else "no",
            money(item.rental_price, item.currency) if item.rental_price else "unknown",
        )
        for item in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    noun = "number" if len(found) == 1 else "numbers"
    return "\n".join(lines) + f"\n\n{len(found)} {noun} for sale.\n"


def yaml_entries(found: list[Available]) -> str:
    """``numbers:`` entries to paste into a manifest (JSON strings are valid YAML)."""
    if not found:
        return "# No numbers for sale match these criteria.\nnumbers: []\n"
    lines = ["numbers:"]
    for item in found:
        price = money(item.rental_price, item.currency) if item.rental_price else "unknown"
        details = f"{item.number_type or '?'} {item.region or '?'}, {price}/month"
        lines.append(f"  - number: {json.dumps(item.number)}  # {terminal(details)}")
    return "\n".join(lines) + "\n"
