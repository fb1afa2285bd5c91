"""Projections used only by tests, loaded into workers through KAMPLAN_PROJECTION_MODULES."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

import asyncpg

from service.events import RecordedEvent
from service.projections.model import Column, Table, TableNames


class Counter:
    """Counts how often each event was applied: anything but 1 is a bug of the runtime."""

    name = "test_counter"
    version = int(os.environ.get("KAMPLAN_TEST_COUNTER_VERSION", "1"))
    event_types = None
    tables = (
        Table(
            name="test_counter",
            comment="Test: how many times each event was applied.",
            columns=(
                Column("event_id", "uuid NOT NULL", "The event."),
                Column("position", "bigint NOT NULL", "Its position."),
                Column("applied", "integer NOT NULL", "Times applied: must be 1."),
            ),
            primary_key=("event_id",),
        ),
    )

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        fail_at = os.environ.get("KAMPLAN_TEST_COUNTER_FAIL_AT")
        if failing := [e for e in events if fail_at and e.position == int(fail_at)]:
            # as a projection's SQL fails on a value it did not expect: the server's error quotes it
            await conn.fetchval("SELECT $1::text::uuid", str(failing[0].data.get("key")))
        await conn.execute(
            f"""INSERT INTO {tables["test_counter"]} (event_id, position, applied)
                SELECT *, 1 FROM unnest($1::uuid[], $2::bigint[])
                ON CONFLICT (event_id) DO UPDATE SET applied = {tables["test_counter"]}.applied + 1""",
            [e.event_id for e in events],
            [e.position for e in events],
        )
        if slow := float(os.environ.get("KAMPLAN_TEST_SLOW_BATCH_SECONDS", "0")):
            await asyncio.sleep(slow)  # inside the batch transaction: a kill now lands mid-batch


class Tallies:
    """The current state of every tally aggregate, to compare with as-of folds."""

    name = "test_tallies"
    version = 1
    event_types = frozenset({"Bumped", "Reset"})
    tables = (
        Table(
            name="test_tallies",
            comment="Test: counts per tally and key.",
            columns=(
                Column("stream_id", "text NOT NULL", "The tally."),
                Column("key", "text NOT NULL", "The counter."),
                Column("count", "bigint NOT NULL", "Its value."),
            ),
            primary_key=("stream_id", "key"),
        ),
    )

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        table = tables["test_tallies"]
        for e in events:  # row by row keeps the test obvious
            if e.event_type == "Bumped":
                await conn.execute(
                    f"""INSERT INTO {table} VALUES ($1, $2, $3)
                        ON CONFLICT (stream_id, key) DO UPDATE SET count = {table}.count + $3""",
                    e.stream_id,
                    e.data["key"],
                    e.data["by"],
                )
            else:
                await conn.execute(f"DELETE FROM {table} WHERE stream_id = $1 AND key = $2", e.stream_id, e.data["key"])


def projections() -> list[object]:
    return [Counter(), Tallies()]
