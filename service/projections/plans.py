"""read.plans, read.plan_revisions, read.plan_goals, read.plan_actions, read.plan_sessions: the supervisor's review
queue (revisions and sessions waiting for them), budget totals per team and BI's view of the long-range plans (goals
and actions of the plan in force)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import asyncpg

from service.commands.aggregates import PLAN, PLAN_EVENTS
from service.domain.plan.state import ActionStatus, Plan
from service.domain.plan.view import session_status
from service.events import RecordedEvent
from service.events.upcasting import Upcasters
from service.projections.folding import FoldingProjection, StreamFolder
from service.projections.model import Column, Table, TableNames

PREFIX = "plan-"

PLANS = Table(
    name="plans",
    comment="One row per long-range account plan; a superseded plan stays, with superseded_by set, and an abandoned "
    "successor with abandoned_at.",
    columns=(
        Column("plan_id", "text NOT NULL", "Id of the plan."),
        Column("account_id", "text NOT NULL", "The account (join read.accounts for owner and team)."),
        Column("title", "text NOT NULL", "Title of the plan."),
        Column("horizon_from", "integer NOT NULL", "First year of the horizon."),
        Column("horizon_to", "integer NOT NULL", "Last year of the horizon."),
        Column("superseded_by", "text", "The plan that replaced this one."),
        Column("supersedes", "text", "The plan this one was started to supersede, if any."),
        Column(
            "successor", "text", "A successor being drafted to supersede this plan, which stays in force meanwhile."
        ),
        Column(
            "abandoned_at", "timestamptz", "When this successor was abandoned before it was ever agreed; null if not."
        ),
        Column("abandoned_by", "text", "Who abandoned it."),
        Column("abandon_reason", "text", "Why it was abandoned."),
        Column("in_force_revision", "integer", "The agreed revision in force; null until one is agreed."),
        Column("pending_revision", "integer", "The revision waiting for the supervisor's review, if any."),
        Column("pending_since", "timestamptz", "When it was proposed."),
        Column("pending_by", "text", "Who proposed it."),
        Column("revisions", "integer NOT NULL", "Number of revisions proposed or agreed in sessions."),
        Column("started_at", "timestamptz", "When the plan was started."),
    ),
    primary_key=("plan_id",),
    indexes=(("account_id",),),
)
REVISIONS = Table(
    name="plan_revisions",
    comment="Every revision of every plan with its review outcome.",
    columns=(
        Column("plan_id", "text NOT NULL", "The plan."),
        Column("account_id", "text NOT NULL", "The account."),
        Column("revision", "integer NOT NULL", "Revision number, from 1."),
        Column("status", "text NOT NULL", "proposed, changes_requested, agreed."),
        Column("proposed_by", "text NOT NULL", "Who proposed it (or recorded the session)."),
        Column("proposed_at", "timestamptz", "When (a session's revision: when the session was recorded)."),
        Column("decided_by", "text", "Who requested changes or agreed."),
        Column("decided_at", "timestamptz", "When."),
        Column("session_id", "text", "The joint planning session that produced it, if any."),
        Column("comments", "integer NOT NULL", "Supervisor comments on this revision."),
    ),
    primary_key=("plan_id", "revision"),
)
GOALS = Table(
    name="plan_goals",
    comment="Goals of each plan's revision in force, with the latest actual.",
    columns=(
        Column("plan_id", "text NOT NULL", "The plan."),
        Column("account_id", "text NOT NULL", "The account."),
        Column("goal_id", "text NOT NULL", "Item id of the goal."),
        Column("period", "text NOT NULL", "Year (2027) or quarter (2027-Q2)."),
        Column("kind", "text NOT NULL", "volume, share, product_line, relationship."),
        Column("description", "text NOT NULL", "What the goal is."),
        Column("target", "numeric NOT NULL", "Target value."),
        Column("unit", "text NOT NULL", "Unit of the target."),
        Column("actual", "numeric", "Latest actual recorded."),
    ),
    primary_key=("plan_id", "goal_id"),
)
ACTIONS = Table(
    name="plan_actions",
    comment="The supplier's actions of each plan's revision in force: the budget, with progress.",
    columns=(
        Column("plan_id", "text NOT NULL", "The plan."),
        Column("account_id", "text NOT NULL", "The account."),
        Column("action_id", "text NOT NULL", "Item id of the action."),
        Column("period", "text NOT NULL", "Year or quarter."),
        Column("what", "text NOT NULL", "The action."),
        Column("owner", "text NOT NULL", "Who does it."),
        Column("due", "date NOT NULL", "Due date."),
        Column("cost", "numeric NOT NULL", "Its cost: the budget."),
        Column("currency", "text NOT NULL", "ISO 4217 currency."),
        Column("status", "text NOT NULL", "planned, done, slipped."),
        Column("superseded", "boolean NOT NULL", "The plan was superseded (its budget no longer counts)."),
    ),
    primary_key=("plan_id", "action_id"),
    indexes=(("account_id",),),
)

SESSIONS = Table(
    name="plan_sessions",
    comment="Every joint planning session of every plan, with its status: a waiting one is for the other party to "
    "confirm (the supervisor, when the manager recorded it).",
    columns=(
        Column("plan_id", "text NOT NULL", "The plan."),
        Column("account_id", "text NOT NULL", "The account."),
        Column("session_id", "text NOT NULL", "Id of the session."),
        Column("held_on", "date NOT NULL", "The day the parties met."),
        Column("recorded_by", "text NOT NULL", "Who recorded it."),
        Column("recorded_role", "text NOT NULL", "manager or supervisor (an admin: supervisor): the other confirms."),
        Column("recorded_at", "timestamptz", "When it was recorded, and put to the other party."),
        Column("status", "text NOT NULL", "waiting, confirmed, outdated, superseded, abandoned."),
        Column("confirmed_by", "text", "Who confirmed it."),
        Column("revision", "integer", "The revision its confirmation put in force; null for none (minutes only)."),
    ),
    primary_key=("plan_id", "session_id"),
    indexes=(("status",),),
)


def rows(p: Plan) -> dict[str, list[tuple[object, ...]]]:
    pending, in_force = p.pending, p.in_force
    content = in_force.content if in_force else None
    return {
        "plans": [
            (
                p.plan_id,
                p.account_id,
                p.title,
                p.horizon_from,
                p.horizon_to,
                p.superseded_by,
                p.supersedes,
                p.successor,
                p.abandoned.at if p.abandoned else None,
                p.abandoned.by if p.abandoned else None,
                p.abandoned.reason if p.abandoned else None,
                in_force.number if in_force else None,
                pending.number if pending else None,
                pending.proposed_at if pending else None,
                pending.proposed_by if pending else None,
                len(p.revisions),
                p.started_at,
            )
        ],
        "plan_revisions": [
            (
                p.plan_id,
                p.account_id,
                r.number,
                r.status.value,
                r.proposed_by,
                r.proposed_at,
                r.decided_by,
                r.decided_at,
                r.session_id,
                sum(c.revision == r.number for c in p.comments),
            )
            for r in p.revisions
        ],
        "plan_goals": [
            (
                p.plan_id,
                p.account_id,
                g.item_id,
                g.period,
                g.kind.value,
                g.description,
                g.target,
                g.unit,
                p.actuals[g.item_id].value if g.item_id in p.actuals else None,
            )
            for g in (content.goals.values() if content else ())
        ],
        "plan_actions": [
            (
                p.plan_id,
                p.account_id,
                a.item_id,
                a.period,
                a.what,
                a.owner,
                _day(a.due),
                a.cost,
                a.currency,
                (p.progress[a.item_id].status if a.item_id in p.progress else ActionStatus.PLANNED).value,
                p.superseded_by is not None,
            )
            for a in (content.actions.values() if content else ())
        ],
        "plan_sessions": [
            (
                p.plan_id,
                p.account_id,
                x.session_id,
                x.on,
                x.recorded_by,
                x.recorded_role,
                x.recorded_at,
                session_status(p, x).value,
                x.confirmed_by,
                x.revision,
            )
            for x in p.sessions.values()
        ],
    }


CURRENT_OF_ACCOUNT = """
SELECT plan_id FROM read.plans WHERE account_id = $1 AND superseded_by IS NULL AND abandoned_at IS NULL
ORDER BY started_at, plan_id
"""
OF_ACCOUNT = "SELECT plan_id FROM read.plans WHERE account_id = $1"


async def account_plans(conn: asyncpg.Connection, account_id: str) -> list[str]:
    """The ids of every plan the account ever had (superseded and abandoned ones stay)."""
    return [r["plan_id"] for r in await conn.fetch(OF_ACCOUNT, account_id)]


async def current_plans(conn: asyncpg.Connection, account_id: str) -> tuple[str, ...]:
    """The account's plans that no successor replaced, as far as the projection has applied the log."""
    return tuple(r["plan_id"] for r in await conn.fetch(CURRENT_OF_ACCOUNT, account_id))


def _day(value: str) -> date:
    return date.fromisoformat(value)


TABLES = (PLANS, REVISIONS, GOALS, ACTIONS, SESSIONS)


class Plans(FoldingProjection):
    name = "plans"
    # 2: a goal's actual is the one of the latest day (a back-dated one replaced it before); 3: successors and
    # abandoned plans (supersedes, successor, abandoned_*); 4: an action's status is the one of the latest day;
    # 5: a session's revision was proposed when the session was recorded (plan_revisions.proposed_at); 6: new table
    # plan_sessions, so the supervisor's queue holds the sessions waiting for them
    version = 6
    tables = TABLES
    event_types = PLAN_EVENTS.names()

    def __init__(self, upcasters: Upcasters) -> None:
        self.folder = StreamFolder(PLAN, upcasters)

    async def apply(self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent]) -> None:
        folded = await self.folder.fold(conn, tables["plans"], events)
        states = folded.states
        if not states:
            return
        if stale := folded.stale(PREFIX):
            for table in TABLES:
                await conn.execute(f"DELETE FROM {tables[table.name]} WHERE plan_id = ANY($1::text[])", stale)
        collected: dict[str, list[tuple[object, ...]]] = {t.name: [] for t in TABLES}
        for stream in states:
            if states[stream].exists:
                for name, records in rows(states[stream]).items():
                    collected[name] += records
        for table in TABLES:
            if records := collected[table.name]:
                target = tables[table.name]
                await conn.copy_records_to_table(
                    target.name, schema_name=target.schema, records=records, columns=[c.name for c in table.columns]
                )
