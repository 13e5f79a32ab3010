"""Where the log goes: stderr, each line escaped like every other line exoplan prints.

Only the Exotel client, the sandbox and the libraries they and the PostgreSQL store use
(requests, urllib3, psycopg, deepdiff...) log; each imports ``logging`` itself. The
command line's entry calls :func:`configure` once, before any command runs, so that
every line, exoplan's or a library's, goes through the escaping handler.
"""

from __future__ import annotations

import logging
import sys

from reconciler.render.escape import terminal_lines


class EscapingFormatter(logging.Formatter):
    """Log lines carry Exotel's words and paths: escaped like every printed line."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_lines(super().format(record))


def configure(verbose: int) -> None:
    """-v: exoplan's own log (each request to Exotel); -vv: the libraries' too (urllib3)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EscapingFormatter("%(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.WARNING, handlers=[handler])
    logging.getLogger("exoplan").setLevel(logging.DEBUG if verbose else logging.WARNING)
