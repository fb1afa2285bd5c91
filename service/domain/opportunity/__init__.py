"""Sales projects (opportunities) through the five stages, with exit criteria checked from recorded facts."""

__all__: list[str] = []
