"""Bind a module name now, import the module on first attribute access.

Why: ``zwr get`` must start about as fast as a bare httpx script, and importing ``asyncio``
costs more than the request itself. ``client.py`` (the async client, whose API methods the
blocking ``zwr get`` path reuses) and ``cli/fetch.py`` name ``asyncio`` at module level;
binding it lazily means the blocking path never imports it while the async paths use it as
usual (``asyncio.gather(...)``). Unlike ``importlib.util.LazyLoader`` this puts nothing half-
loaded into ``sys.modules``: the real import happens, whole, on first use, in whichever thread.
Each binding sits in the ``else`` of an ``if TYPE_CHECKING: import asyncio``, so mypy sees the real module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r}, loaded={self._module is not None})"


def lazy_module(name: str) -> Any:
    """``name`` itself if it is already imported, else a stand-in that imports it when used."""
    import sys

    return sys.modules.get(name) or LazyModule(name)
