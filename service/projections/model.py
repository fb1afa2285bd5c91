"""What a projection declares: its name and version, the events it handles, its tables, and how it applies them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # SQL type, e.g. "bigint NOT NULL"
    comment: str  # documented for BI tools: COMMENT ON COLUMN and docs/read-schema.md


@dataclass(frozen=True, slots=True)
class Table:
    """A read table: BI and the API read the view `read.<name>`; each generation has `read.<name>_g<n>`."""

    name: str
    comment: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class PhysicalTable:
    """A generation's table: formats as its qualified name in SQL; schema and name apart for COPY."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f'{self.schema}."{self.name}"'

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


TableNames = Mapping[str, PhysicalTable]
"""Logical table name → the generation's table, e.g. {"audit_log": PhysicalTable("read", "audit_log_g2")}."""


class Projection(Protocol):
    """A read model. `apply` runs inside the transaction that also stores the checkpoint.

    What it writes must be derivable from the log: batch transactions commit asynchronously, so a crash of
    the server may undo the last batches (rows and checkpoint together), and they are applied again."""

    name: str
    version: int  # bump to rebuild beside the live generation and switch when caught up
    tables: tuple[Table, ...]
    event_types: frozenset[str] | None  # None: every event
    # Optional: `payloads = False` for projections that read only the envelope (ids, types, standard metadata,
    # times): `apply` then gets `Envelope`s instead of `RecordedEvent`s, which makes rebuilds cheaper.
    # Optional: `leased()`, called each time the runner takes a generation's lease, before its first batch:
    # a projection that caches what it read drops it there (another process may have applied batches since).
    # Optional: `forget(conn, tables, forgets, through)`, for one that handles `SubjectForgotten`: apply the forgets
    # recorded after the checkpoint `through` to the rows there, while a batch fails (`folding.ForgettingProjection`).

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[Any]) -> None:
        """`events` are `RecordedEvent`s, or `Envelope`s for a projection with `payloads = False`."""
