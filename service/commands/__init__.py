"""Command handling: load an aggregate, let the domain decide, append what it decided. The only write path."""

__all__: list[str] = []
