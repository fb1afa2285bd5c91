"""Webhook subscriptions: which URLs hear which events of the log, and from where on."""

__all__: list[str] = []
