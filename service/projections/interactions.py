"""read.interactions: the interaction log, for timelines, the negotiation balance and BI."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from service.commands.aggregates import INTERACTION, INTERACTION_EVENTS
from service.events import RecordedEvent
from service.events.upcasting import Upcasters
from service.projections.folding import FoldingProjection, StreamFolder
from service.projections.model import Column, Table, TableNames

PREFIX = "interaction-"

TABLE = Table(
    name="interactions",
    comment="One row per logged interaction (meeting, call, visit, negotiation, email, protocol) as last corrected; "
    "retracted entries stay with retracted = true.",
    columns=(
        Column("interaction_id", "text NOT NULL", "Id of the interaction."),
        Column("account_id", "text NOT NULL", "The account."),
        Column("kind", "text NOT NULL", "meeting, call, visit, negotiation, email, protocol."),
        Column("occurred_on", "date NOT NULL", "When it happened (business time)."),
        Column("participants", "text[] NOT NULL", "Buying-center member ids who took part."),
        Column("our_participants", "text[] NOT NULL", "People on our side."),
        Column("summary", "text NOT NULL", "What was discussed."),
        Column("outcome", "text NOT NULL", "What came of it."),
        Column("next_step", "text NOT NULL", "The agreed next step."),
        Column("next_step_due", "date", "Its date."),
        Column("projects", "text[] NOT NULL", "Linked sales project ids."),
        Column("logged_by", "text", "Who logged it (token subject)."),
        Column("retracted", "boolean NOT NULL", "Retracted as logged by mistake."),
        Column("corrections", "integer NOT NULL", "How many times the entry was corrected."),
    ),
    primary_key=("interaction_id",),
    indexes=(("account_id", "occurred_on"),),
)
COLUMNS = [c.name for c in TABLE.columns]


class Interactions(FoldingProjection):
    name = "interactions"
    version = 1
    tables = (TABLE,)
    event_types = INTERACTION_EVENTS.names()

    def __init__(self, upcasters: Upcasters) -> None:
        self.folder = StreamFolder(INTERACTION, upcasters)

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        table = tables["interactions"]
        folded = await self.folder.fold(conn, tables["interactions"], events)
        states = folded.states
        if not states:
            return
        logged_by = {e.stream_id: e.metadata.get("actor") for e in events if e.event_type == "InteractionLogged"}
        existing = {}
        if ids := folded.stale(PREFIX):
            existing = {
                r["interaction_id"]: r["logged_by"]
                for r in await conn.fetch(
                    f"SELECT interaction_id, logged_by FROM {table} WHERE interaction_id = ANY($1)", ids
                )
            }
            await conn.execute(f"DELETE FROM {table} WHERE interaction_id = ANY($1::text[])", ids)
        records = []
        for stream in states:
            state, d = states[stream], states[stream].details
            if d is None:
                continue
            who = logged_by.get(stream) or existing.get(state.interaction_id)
            records.append(
                (
                    state.interaction_id,
                    state.account_id,
                    d.kind.value,
                    d.occurred_on,
                    list(d.participants),
                    list(d.our_participants),
                    d.summary,
                    d.outcome,
                    d.next_step,
                    d.next_step_due,
                    list(d.projects),
                    who,
                    state.retracted,
                    len(state.corrections),
                )
            )
        if records:
            await conn.copy_records_to_table(table.name, schema_name=table.schema, records=records, columns=COLUMNS)
