"""`kamplan demo`: two realistic key accounts from the seeds, written through the public API."""

__all__: list[str] = []
