"""Schema evolution: stored events are never rewritten; upcasters lift old payloads on read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcast = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """Registry of one-step upcasts, (event type, version n) → payload of version n + 1."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcast] = {}
        self._current: dict[str, int] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcast], Upcast]:
        """Decorator: `@upcasters.register("MemberAdded", 1)` over `def v1_to_v2(data) -> data`."""

        def add(step: Upcast) -> Upcast:
            if (event_type, from_version) in self._steps:
                raise ValueError(f"{event_type} v{from_version} already has an upcaster")
            if from_version != self.current_version(event_type):
                raise ValueError(
                    f"{event_type}: upcasters must be registered in order; "
                    f"next is from v{self.current_version(event_type)}"
                )
            self._steps[(event_type, from_version)] = step
            self._current[event_type] = from_version + 1
            return step

        return add

    @property
    def latest(self) -> dict[str, int]:
        """Event type → current version, for the types that have upcasters (read-only, for fast reads)."""
        return self._current

    def current_version(self, event_type: str) -> int:
        """The version new events of this type are written with (1 until an upcaster exists)."""
        return self._current.get(event_type, 1)

    def upcast(self, event_type: str, version: int, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        current = self.current_version(event_type)
        while version < current:
            data = self._steps[(event_type, version)](data)
            version += 1
        return version, data
