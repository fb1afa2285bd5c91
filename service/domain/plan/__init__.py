"""The long-range account plan, and the joint planning of manager and supervisor that produces it."""

__all__: list[str] = []
