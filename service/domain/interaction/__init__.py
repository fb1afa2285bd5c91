"""The interaction log: meetings, calls, visits, negotiations, e-mails, protocols; corrected, never lost."""

__all__: list[str] = []
