"""read.purchases and read.purchase_lines: the purchase history the ERP's webhooks wrote, for BI, which sets what
clients bought against the plans' volume goals. Each document as GET /v1/accounts/{id}/purchases shows it: its
newest revision, folded by the same evolve(), so sums over it are that view's totals."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from service.commands.aggregates import PURCHASE_EVENTS, PURCHASES
from service.domain.purchases.state import PurchaseHistory
from service.events import RecordedEvent
from service.events.upcasting import Upcasters
from service.projections.folding import FoldingProjection, StreamFolder
from service.projections.model import Column, Table, TableNames

PREFIX = "purchases-"

DOCUMENTS = Table(
    name="purchases",
    comment="One row per ERP document (order, shipment, invoice, return) of an account, as last sent: a revised "
    "document is one row, its newest revision. Summed by year of on_day, kind and currency: the API's totals.",
    columns=(
        Column("account_id", "text NOT NULL", "The account (join read.accounts for owner and team)."),
        Column("kind", "text NOT NULL", "order, shipment, invoice, return."),
        Column("number", "text NOT NULL", "The ERP's document number: one document per kind and number."),
        Column("on_day", "date NOT NULL", "The document's date, as the ERP gave it (`on`)."),
        Column("amount", "numeric NOT NULL", "The document's total, in currency; a return's is positive too."),
        Column("currency", "text NOT NULL", "ISO 4217 currency."),
        Column("reference", "text NOT NULL", "The document it follows from (a shipment's order); empty for none."),
        Column("revision", "integer NOT NULL", "1 as first sent; each change the ERP sent since adds one."),
        Column("changed_at", "timestamptz", "The newest time the ERP said it changed the document; null if never."),
        Column("lines", "integer NOT NULL", "How many lines it has (read.purchase_lines)."),
    ),
    primary_key=("account_id", "kind", "number"),
    indexes=(("on_day",),),
)
LINES = Table(
    name="purchase_lines",
    comment="The lines of each document in read.purchases, as last sent.",
    columns=(
        Column("account_id", "text NOT NULL", "The account."),
        Column("kind", "text NOT NULL", "The document's kind."),
        Column("number", "text NOT NULL", "The document's number."),
        Column("line", "integer NOT NULL", "1 for its first line, in the ERP's order."),
        Column("sku", "text NOT NULL", "The ERP's article number."),
        Column("name", "text NOT NULL", "The article's name."),
        Column("quantity", "numeric NOT NULL", "Quantity."),
        Column("amount", "numeric NOT NULL", "The line's amount, in the document's currency."),
    ),
    primary_key=("account_id", "kind", "number", "line"),
    indexes=(("sku",),),
)


def document_rows(account_id: str, state: PurchaseHistory) -> list[tuple[object, ...]]:
    return [
        (account_id, d.kind.value, d.number, d.on, d.amount, d.currency, d.reference, d.revision, d.changed_at,
         len(d.lines))
        for d in state.documents.values()
    ]  # fmt: skip


def line_rows(account_id: str, state: PurchaseHistory) -> list[tuple[object, ...]]:
    return [
        (account_id, d.kind.value, d.number, n, line.sku, line.name, line.quantity, line.amount)
        for d in state.documents.values()
        for n, line in enumerate(d.lines, start=1)
    ]


class Purchases(FoldingProjection):
    name = "purchases"
    # 2: PurchaseDocumentMoved takes a document out of the account it left; a process of version 1, during a rolling
    # upgrade, goes past that event without reading it, so version 2 builds its own tables rather than trust its rows
    version = 2
    tables = (DOCUMENTS, LINES)
    event_types = PURCHASE_EVENTS.names()

    def __init__(self, upcasters: Upcasters) -> None:
        self.folder = StreamFolder(PURCHASES, upcasters)

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        documents, lines = tables["purchases"], tables["purchase_lines"]
        folded = await self.folder.fold(conn, documents, events)
        if not folded.states:
            return
        if stale := folded.stale(PREFIX):
            for table in (documents, lines):
                await conn.execute(f"DELETE FROM {table} WHERE account_id = ANY($1::text[])", stale)
        for table, rows, columns in (
            (documents, document_rows, DOCUMENTS.columns),
            (lines, line_rows, LINES.columns),
        ):
            records = [r for s, state in folded.states.items() for r in rows(s.removeprefix(PREFIX), state)]
            if records:
                await conn.copy_records_to_table(
                    table.name, schema_name=table.schema, records=records, columns=[c.name for c in columns]
                )
