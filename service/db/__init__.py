"""PostgreSQL plumbing: the embedded server, connection pools and migrations."""

__all__: list[str] = []
