"""The audit log: who did what to which stream, when, from which request. No payloads, so no personal data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from service.events import Envelope
from service.projections.model import Column, Table, TableNames

TABLE = Table(
    name="audit_log",
    comment="One row per event in the log: who (actor, role, team) did what (event type, stream) and when "
    "(recorded = known to kamplan, occurred = business time), from which request and correlation.",
    columns=(
        Column(
            "position", "bigint NOT NULL", "Global position of the event in the log; ascending = order of recording."
        ),
        Column("event_id", "uuid NOT NULL", "Id of the event."),
        Column("stream_id", "text NOT NULL", "The aggregate the event belongs to, e.g. account-<uuid>."),
        Column("stream_type", "text NOT NULL", "Kind of aggregate: account, dossier, buying_center, ..."),
        Column("stream_version", "bigint NOT NULL", "Version of the aggregate after this event."),
        Column("event_type", "text NOT NULL", "What happened, in the past tense (MemberAdded)."),
        Column("actor", "text", "Subject (user id) of the token that caused the event; null for system events."),
        Column("actor_role", "text", "Role of the actor: manager, supervisor, admin, integration, bi."),
        Column("actor_team", "text", "Team claim of the actor's token, if any."),
        Column("request_id", "text", "X-Request-ID of the HTTP request that caused the event."),
        Column("correlation_id", "text", "Correlation id: X-Correlation-ID, or the request id."),
        Column("causation_id", "text", "Id of the message that caused this one, when known."),
        Column("source", "text", "Where the command came from: api, erp, demo, ..."),
        Column("occurred_at", "timestamptz NOT NULL", "Business time: when it happened."),
        Column("recorded_at", "timestamptz NOT NULL", "System time: when kamplan recorded it."),
    ),
    primary_key=("position",),
    indexes=(("stream_id", "position"), ("actor", "position"), ("event_type", "position"), ("recorded_at",)),
)

COLUMNS = [c.name for c in TABLE.columns]  # = events.ENVELOPE_FIELDS, in order (tests/unit/test_audit_columns.py)


class AuditLog:
    name = "audit_log"
    version = 1
    tables = (TABLE,)
    event_types = None  # every event
    payloads = False  # who, what, when: never the payload, so it is not even read

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[Envelope]) -> None:
        table = tables["audit_log"]
        # An envelope is a row whose items are ENVELOPE_FIELDS, the columns of this table: written out as read.
        await conn.copy_records_to_table(table.name, schema_name=table.schema, records=events, columns=COLUMNS)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    stream_id: str | None = None
    actor: str | None = None
    event_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


QUERY = """
SELECT * FROM read.audit_log
WHERE ($1::text IS NULL OR stream_id = $1)
  AND ($2::text IS NULL OR actor = $2)
  AND ($3::text IS NULL OR event_type = $3)
  AND ($4::timestamptz IS NULL OR recorded_at >= $4)
  AND ($5::timestamptz IS NULL OR recorded_at < $5)
  AND ($6::bigint IS NULL OR position < $6)
ORDER BY position DESC
LIMIT $7
"""


async def query(pool: asyncpg.Pool, where: AuditFilter, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Newest first; `before` is the keyset cursor (the last position of the previous page)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            QUERY, where.stream_id, where.actor, where.event_type, where.since, where.until, before, limit
        )
    return [dict(r) for r in rows]
