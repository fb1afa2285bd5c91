"""One DATABASE_URL, spelled for each client that needs it."""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def asyncpg_dsn(url: str) -> str:
    """`postgresql+asyncpg://…` and `postgres://…` both become what asyncpg accepts."""
    return _SCHEME.sub("postgresql://", url, count=1)


def with_database(url: str, database: str) -> str:
    """The URL of another database on the same server (tests create throwaway ones)."""
    head, sep, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority, _, _ = rest.partition("/")
    return f"{scheme}://{authority}/{database}{sep}{query}"
