"""Bind a module name now, load the module on first attribute access (the stdlib LazyLoader recipe).

Why: ``zwr get`` must start about as fast as a bare httpx script, and importing ``asyncio``
costs more than the request itself. ``client.py`` (the async client, whose API methods the
blocking ``zwr get`` path reuses) and ``cli/fetch.py`` name ``asyncio`` at module level; binding
it lazily means the blocking path never loads it while the async paths use it unchanged.

If the module is already imported (Textual imports asyncio), the real module is returned.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:  # pragma: no cover - stdlib modules always have one
        raise ModuleNotFoundError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
