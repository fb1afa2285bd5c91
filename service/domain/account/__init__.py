"""Key accounts: identity, owner and team, key status and classification, lifecycle, hand-over."""

__all__: list[str] = []
