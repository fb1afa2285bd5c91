"""Outgoing webhooks: the log delivered to subscribers' URLs, signed per the Standard Webhooks spec."""

__all__: list[str] = []
