"""Rendering: a Plan, an apply result or drift -> text, Markdown, JSON, progress lines or an
exported manifest, written to a handle. Reads what it is given; computes nothing a Plan
could compute itself."""
