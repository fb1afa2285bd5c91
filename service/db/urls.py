"""One DATABASE_URL, spelled for each client that needs it."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


_SECRET_PARAMETERS = {"password", "sslpassword"}


def redacted(url: str) -> str:
    """The URL without its password (in the authority or libpq's `password=`), to name the server in messages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}@{hostport}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _SECRET_PARAMETERS]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="/")))
