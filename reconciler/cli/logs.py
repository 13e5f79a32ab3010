"""Where the log goes: stderr, each line escaped like every other line exoplan prints.

Importing ``logging`` (with the modules it imports) costs milliseconds of every start,
and most runs never log a line: only the Exotel client, the sandbox and the libraries
they and the PostgreSQL store use (requests, urllib3, psycopg, deepdiff...) do, and all
of them import ``logging`` first. So :func:`configure` does not import it. It
configures ``logging`` at once when something has already imported it, and otherwise
the moment anything first imports it, before that importer can log a line: every line,
exoplan's or a library's, still goes through the escaping handler.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.abc import Loader
else:
    Loader = object  # importlib.abc's import would cost more than logging's


def configure(verbose: int) -> None:
    """-v: exoplan's own log (each request to Exotel); -vv: the libraries' too (urllib3)."""
    if "logging" in sys.modules:
        _set_up(verbose)
    elif not any(isinstance(finder, _WhenImported) for finder in sys.meta_path):
        sys.meta_path.insert(0, _WhenImported(verbose))


def forget() -> None:
    """Take back a :func:`configure` that is still waiting for ``logging``'s import."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _WhenImported)]


def _set_up(verbose: int) -> None:
    import logging

    from reconciler.render.escape import terminal_lines

    class EscapingFormatter(logging.Formatter):
        """Log lines carry Exotel's words and paths: escaped like every printed line."""

        def format(self, record: logging.LogRecord) -> str:
            return terminal_lines(super().format(record))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EscapingFormatter("%(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.WARNING, handlers=[handler])
    logging.getLogger("exoplan").setLevel(logging.DEBUG if verbose else logging.WARNING)


class _WhenImported:
    """An import finder that finds only ``logging``, through the finders that would have
    found it (the standard one, or a frozen build's), and sets it up as soon as the
    module has run; then it steps aside."""

    def __init__(self, verbose: int) -> None:
        self.verbose = verbose

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != "logging":
            return None
        forget()
        for finder in sys.meta_path:  # the finders that would have found it, in their order
            find = getattr(finder, "find_spec", None)
            spec: ModuleSpec | None = find(name, path, target) if find is not None else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _ThenSetUp(spec.loader, self.verbose)
                return spec
        return None


class _ThenSetUp(Loader):
    """``logging``'s own loader, then :func:`_set_up` once the module has run."""

    def __init__(self, loader: Loader, verbose: int) -> None:
        self.loader = loader
        self.verbose = verbose

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The module keeps its own loader (tracebacks and inspect read its source there).
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        _set_up(self.verbose)
