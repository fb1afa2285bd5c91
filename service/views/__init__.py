"""Renderings of domain views: pure functions from view dicts to documents."""

__all__: list[str] = []
