"""read.accounts: one row per key account, for lists, the portfolio and BI."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from service.commands.aggregates import ACCOUNT, ACCOUNT_EVENTS
from service.domain.account.state import Account
from service.events import RecordedEvent
from service.events.upcasting import Upcasters
from service.projections.folding import FoldingProjection, StreamFolder
from service.projections.model import Column, Table, TableNames

TABLE = Table(
    name="accounts",
    comment="One row per account (client company) as it stands now.",
    columns=(
        Column("account_id", "text NOT NULL", "Id of the account (the stream is account-<id>)."),
        Column("name", "text NOT NULL", "Client company name."),
        Column("industry", "text NOT NULL", "Client's industry."),
        Column("region", "text NOT NULL", "Client's region."),
        Column("segment", "text NOT NULL", "Our company's segment the client belongs to."),
        Column("owner", "text NOT NULL", "Owner manager (token subject)."),
        Column("team", "text", "The supervisor's team that oversees the account."),
        Column("is_key", "boolean NOT NULL", "Marked as a key account."),
        Column("key_reason", "text NOT NULL", "Why it was marked (or unmarked) key."),
        Column("criteria", "text[] NOT NULL", "Company-level key criteria: large, loyal, promising, ..."),
        Column("can_influence", "boolean", "The manager's judgement: can we influence what this client buys?"),
        Column("lifecycle", "text NOT NULL", "prospect, project, serial_supply, sleeping, reactivated, lost."),
        Column("opened_at", "timestamptz", "When the account was opened."),
        Column("hand_overs", "integer NOT NULL", "How many times the account changed owner."),
        Column("version", "bigint NOT NULL", "Version of the account stream this row reflects."),
    ),
    primary_key=("account_id",),
    indexes=(("owner",), ("team",), ("name", "account_id")),
)

COLUMNS = [c.name for c in TABLE.columns]


def row(account_id: str, state: Account, version: int) -> tuple[object, ...]:
    return (
        account_id,
        state.name,
        state.industry,
        state.region,
        state.segment,
        state.owner,
        state.team,
        state.is_key,
        state.key_reason,
        sorted(c.value for c in state.criteria),
        state.can_influence,
        state.lifecycle.value,
        state.opened_at,
        len(state.hand_overs),
        version,
    )


class Accounts(FoldingProjection):
    name = "accounts"
    version = 1
    tables = (TABLE,)
    event_types = ACCOUNT_EVENTS.names()

    def __init__(self, upcasters: Upcasters) -> None:
        self.folder = StreamFolder(ACCOUNT, upcasters)

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        table = tables["accounts"]
        folded = await self.folder.fold(conn, tables["accounts"], events)
        states = folded.states
        if not states:
            return
        versions = {e.stream_id: e.stream_version for e in events}
        if stale := folded.stale("account-"):
            await conn.execute(f"DELETE FROM {table} WHERE account_id = ANY($1::text[])", stale)
        records = [row(s.removeprefix("account-"), states[s], versions[s]) for s in states]
        await conn.copy_records_to_table(table.name, schema_name=table.schema, records=records, columns=COLUMNS)
