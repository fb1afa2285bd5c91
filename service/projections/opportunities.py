"""read.opportunities, read.stage_changes, read.opportunity_losses and read.account_ownership: the pipeline, stalled
projects and conversion, for the API and BI.

A project's row is judged on its account's buying center as the log has it at the same position (`Roster.judged`),
folded beside it: a leaving or a return, recorded late and dated back over an interaction's day, rewrites the rows
of the account's projects, as it changes their view.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from service.commands.aggregates import BUYING_CENTER, OPPORTUNITY, OPPORTUNITY_EVENTS, buying_center_stream
from service.commands.aggregates import opportunity_stream as project_stream
from service.domain.buying_center.events import MemberLeft, MemberReturned
from service.domain.opportunity.roster import Roster, roster_of
from service.domain.opportunity.state import Opportunity
from service.events import RecordedEvent
from service.events.upcasting import Upcasters
from service.projections.folding import FoldingProjection, StreamFolder
from service.projections.model import Column, Table, TableNames
from service.projections.ownership import EVENT_TYPES as OWNERSHIP_EVENTS
from service.projections.ownership import OWNERSHIP, of_the_time, record

PREFIX, CENTER = "opportunity-", buying_center_stream("")
# the events that change who was the client's on which day: the account's projects are judged again
STANDING = frozenset({MemberLeft.__name__, MemberReturned.__name__})
PROJECTS_OF = "SELECT opportunity_id FROM {} WHERE account_id = ANY($1::text[])"

OPPORTUNITIES = Table(
    name="opportunities",
    comment="One row per sales project as it stands now.",
    columns=(
        Column("opportunity_id", "text NOT NULL", "Id of the project."),
        Column("account_id", "text NOT NULL", "The account (join read.accounts for owner and team)."),
        Column("product_line", "text NOT NULL", "What we sell."),
        Column("kind", "text NOT NULL", "new_client or cross_sell."),
        Column("stage", "text NOT NULL", "entry, finding_ally, confirmation, approval, implementation, serial_supply."),
        Column("status", "text NOT NULL", "open or lost."),
        Column("lost_reason", "text NOT NULL", "Why it was lost."),
        Column("lost_at", "timestamptz", "When it was lost (null while open)."),
        Column("value_amount", "numeric", "Expected value."),
        Column("value_currency", "text", "Its currency."),
        Column("main_competitor", "text NOT NULL", "The main competitor."),
        Column("opened_at", "timestamptz", "When the project was opened."),
        Column("stage_entered_at", "timestamptz", "When it entered its current stage, or was last reopened in it."),
        Column(
            "last_interaction_on",
            "date",
            "Day of the latest linked interaction with the client (not internal): one a member took part in who was "
            "the client's that day, by the buying center as the log has it now.",
        ),
        Column("criteria_version", "integer NOT NULL", "Version of the exit criteria the project is pinned to."),
        Column("overrides", "integer NOT NULL", "Stage advances a supervisor forced despite unmet criteria."),
    ),
    primary_key=("opportunity_id",),
    indexes=(("account_id",),),
)
STAGE_CHANGES = Table(
    name="stage_changes",
    comment="Every stage a project entered (from_stage null: opened), with overrides and the owner and team of the "
    "time, for conversion over a period: a stage entered counts for the manager and team it was entered under.",
    columns=(
        Column("opportunity_id", "text NOT NULL", "The project."),
        Column("account_id", "text NOT NULL", "The account."),
        Column("seq", "integer NOT NULL", "1 for the opening, then each advance in order."),
        Column("from_stage", "text", "Stage left (null when opened)."),
        Column("to_stage", "text NOT NULL", "Stage entered."),
        Column("at", "timestamptz", "When."),
        Column("override_reason", "text", "A supervisor's reason for advancing despite unmet criteria."),
        Column(
            "owner",
            "text",
            "Owner of the account when the change was recorded (in log order, whatever day it is dated).",
        ),
        Column("team", "text", "The account's team when the change was recorded (null: none)."),
    ),
    primary_key=("opportunity_id", "seq"),
    indexes=(("to_stage", "at"), ("owner", "at"), ("team", "at")),
)

LOSSES = Table(
    name="opportunity_losses",
    comment="Every time a project was lost, in which stage, and when it was reopened: whether it was lost at a moment.",
    columns=(
        Column("opportunity_id", "text NOT NULL", "The project."),
        Column("account_id", "text NOT NULL", "The account."),
        Column("seq", "integer NOT NULL", "1 for the first loss, then each later one in order."),
        Column("stage", "text NOT NULL", "The stage it was lost in."),
        Column("lost_at", "timestamptz", "When it was lost."),
        Column("reopened_at", "timestamptz", "When it was reopened; null while it stays lost."),
        Column("owner", "text", "Who owned the account when the loss was recorded."),
        Column("team", "text", "The account's team when the loss was recorded (null: none)."),
    ),
    primary_key=("opportunity_id", "seq"),
)


def row(o: Opportunity, roster: Roster) -> tuple[object, ...]:
    """The project's row, its interactions judged on `roster`, its account's buying center at the same position."""
    o = roster.judged(o)
    value = o.expected_value
    return (
        o.opportunity_id,
        o.account_id,
        o.product_line,
        o.kind.value,
        o.stage.value,
        o.status.value,
        o.lost_reason,
        o.lost_at,
        value.amount if value else None,
        value.currency if value else None,
        o.main_competitor,
        o.opened_at,
        o.stage_entered_at,
        o.last_interaction_on,
        o.criteria.version,
        sum(h.override_reason is not None for h in o.history),
    )


class Opportunities(FoldingProjection):
    name = "opportunities"
    version = 8  # 2: lost_at; 3: opportunity_losses; 4: last_interaction_on counts interactions with the client;
    # 5: stage_entered_at restarts on a reopening; 6: a stage change dated the day its stage was entered (or the
    # project reopened) is at the moment after that, not the midnight before; 7: account_ownership, and the owner
    # and team of the time on stage_changes and opportunity_losses; 8: last_interaction_on judged on the buying center
    # as the log has it, so a leaving or a return recorded late, dated back over an interaction, changes it
    tables = (OPPORTUNITIES, STAGE_CHANGES, LOSSES, OWNERSHIP)
    event_types = OPPORTUNITY_EVENTS.names() | OWNERSHIP_EVENTS | STANDING

    def __init__(self, upcasters: Upcasters) -> None:
        self.folder = StreamFolder(OPPORTUNITY, upcasters)
        # the maps are read from the log, never folded from a batch, which carries only their STANDING events
        self.centers = StreamFolder(BUYING_CENTER, upcasters)

    def leased(self) -> None:
        super().leased()
        self.centers.clear()

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        projects, changes, losses = tables["opportunities"], tables["stage_changes"], tables["opportunity_losses"]
        # first: the owner of a change recorded after a hand-over in this same batch is the new one
        await record(conn, tables["account_ownership"], events)
        moved = sorted({e.stream_id.removeprefix(CENTER) for e in events if e.event_type in STANDING})
        rows = await conn.fetch(PROJECTS_OF.format(projects), moved) if moved else []
        also = [project_stream(r["opportunity_id"]) for r in rows]
        folded = await self.folder.fold(conn, tables["opportunities"], events, also)
        states = folded.states
        if not states:
            return
        if stale := folded.stale(PREFIX):
            for table in (projects, changes, losses):
                await conn.execute(f"DELETE FROM {table} WHERE opportunity_id = ANY($1::text[])", stale)
        live = [state for state in states.values() if state.exists]
        if not live:
            return
        centers = [buying_center_stream(a) for a in {o.account_id for o in live}]
        maps = (await self.centers.fold(conn, tables["opportunities"], (), centers, events[-1].position)).states
        await conn.copy_records_to_table(
            projects.name,
            schema_name=projects.schema,
            records=[row(o, roster_of(maps[buying_center_stream(o.account_id)])) for o in live],
            columns=[c.name for c in OPPORTUNITIES.columns],
        )
        owners = await of_the_time(
            conn,
            tables["account_ownership"],
            [(PREFIX + o.opportunity_id, o.account_id) for o in live],
            events[-1].position,
        )
        history = [
            (
                o.opportunity_id,
                o.account_id,
                i,
                h.from_stage.value if h.from_stage else None,
                h.to_stage.value,
                h.at,
                h.override_reason,
                *owner,
            )
            for o in live
            for i, (h, owner) in enumerate(
                zip(o.history, owners.changes(PREFIX + o.opportunity_id, o.account_id, len(o.history)), strict=True),
                start=1,
            )
        ]
        await conn.copy_records_to_table(
            changes.name, schema_name=changes.schema, records=history, columns=[c.name for c in STAGE_CHANGES.columns]
        )
        lost = [
            (o.opportunity_id, o.account_id, i, loss.stage.value, loss.at, loss.reopened_at, *owner)
            for o in live
            for i, (loss, owner) in enumerate(
                zip(o.losses, owners.losses(PREFIX + o.opportunity_id, o.account_id, len(o.losses)), strict=True),
                start=1,
            )
        ]
        await conn.copy_records_to_table(
            losses.name, schema_name=losses.schema, records=lost, columns=[c.name for c in LOSSES.columns]
        )
