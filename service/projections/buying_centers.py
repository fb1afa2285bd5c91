"""read.buying_center_members and read.buying_center_relationships: the maps, for the portfolio and BI.

A member's `retired_roles` are judged on the company's settings as the log has them at the same position, folded
beside the maps: a role set that retires or restores a role rewrites them in every buying center holding it.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from asyncpg import Range

from service.commands.aggregates import BUYING_CENTER, BUYING_CENTER_EVENTS, SETTINGS, SETTINGS_STREAM
from service.domain.buying_center.state import BuyingCenter
from service.domain.settings.events import BuyingCenterRolesDefined
from service.events import RecordedEvent
from service.events.upcasting import Upcasters
from service.projections.folding import SUBJECT_FORGOTTEN, ForgettingProjection, StreamFolder, naming_forgotten
from service.projections.model import Column, Table, TableNames

PREFIX = "buying-center-"
ROLE_SET = BuyingCenterRolesDefined.__name__
# Each member's retired roles, as member_rows writes them: those of `roles` (sorted) in `$1`, in their order. Only
# for a member who holds one now or held one retired before: a role set changes no other row.
RETIRED = """
UPDATE {} SET retired_roles = ARRAY(
    SELECT r FROM unnest(roles) WITH ORDINALITY AS u(r, i) WHERE r = ANY($1::text[]) ORDER BY i
)
WHERE roles && $1::text[] OR cardinality(retired_roles) > 0
"""

MEMBERS = Table(
    name="buying_center_members",
    comment="One row per person in an account's buying center, including those who left (active = false). "
    "Personal fields are blanked once the person has been forgotten: name and next_action null, contact_plan empty.",
    columns=(
        Column("account_id", "text NOT NULL", "The account."),
        Column("member_id", "text NOT NULL", "Id of the person in this buying center (also the person id)."),
        Column("name", "text", "Name; null once forgotten (personal data)."),
        Column("position", "text NOT NULL", "Job title."),
        Column("department", "text NOT NULL", "Department."),
        Column("organisation", "text NOT NULL", "The client, or an outside body (association, ministry, regulator)."),
        Column(
            "roles",
            "text[] NOT NULL",
            "Buying-center role codes (company role set), those it has dropped since among them (retired_roles).",
        ),
        Column("influence", "smallint NOT NULL", "Influence on the purchase, 1 (low) to 5 (high)."),
        Column("attitude", "smallint NOT NULL", "Attitude to us, -2 opponent to +2 ally."),
        Column("attitude_to_competitor", "smallint NOT NULL", "Attitude to the main competitor, -2 to +2."),
        Column("owner", "text", "Who on our side owns the contact (token subject)."),
        Column("contact_plan", "text NOT NULL", "How we plan to contact this person; empty once forgotten (personal)."),
        Column("next_action", "text", "The next action planned with this person; null once forgotten (personal)."),
        Column("next_action_due", "date", "Its due date."),
        Column(
            "last_contact",
            "date",
            "Date of the last recorded contact on a day the person was the client's, by the absences as known: "
            "a leaving or return dated back changes it.",
        ),
        Column("active", "boolean NOT NULL", "False once the person has left the client."),
        Column("left_on", "date", "When the person left the client."),
        Column(
            "away",
            "daterange[] NOT NULL",
            "The periods the person was away and came back from, [left, back): not the client's on those days.",
        ),
        Column(
            "retired_roles",
            "text[] NOT NULL",
            "Those of roles the company's role set has dropped since (GET /v1/settings retired_roles, with their "
            "labels): the person keeps them, nobody new is given them; empty again once a set has the code back.",
        ),
    ),
    primary_key=("account_id", "member_id"),
    indexes=(("member_id",), ("owner",)),
)
RELATIONSHIPS = Table(
    name="buying_center_relationships",
    comment="Links between members of a buying center: formal (reports_to) and informal.",
    columns=(
        Column("account_id", "text NOT NULL", "The account."),
        Column("relationship_id", "text NOT NULL", "Id of the link."),
        Column("source_member_id", "text NOT NULL", "From this member (the subordinate, for reports_to)."),
        Column("target_member_id", "text NOT NULL", "To this member."),
        Column("kind", "text NOT NULL", "reports_to, influences, allied_with, rival_of."),
        Column("formal", "boolean NOT NULL", "True for reports_to: the org chart; false for the informal links."),
        Column("strength", "smallint NOT NULL", "1 weak to 3 strong."),
    ),
    primary_key=("account_id", "relationship_id"),
)


def member_rows(account_id: str, state: BuyingCenter, retired: frozenset[str]) -> list[tuple[object, ...]]:
    return [
        (
            account_id,
            m.member_id,
            m.name,
            m.position,
            m.department,
            m.organisation,
            sorted(m.roles),
            m.influence,
            m.attitude,
            m.attitude_to_competitor,
            m.owner,
            m.contact_plan or "",
            m.next_action.what if m.next_action else None,
            m.next_action.due if m.next_action else None,
            m.last_contact,
            m.active,
            m.left_on,
            [Range(p.left_on, p.returned_on) for p in m.away],
            sorted(m.roles & retired),
        )
        for m in state.people.values()
    ]


def link_rows(account_id: str, state: BuyingCenter) -> list[tuple[object, ...]]:
    return [
        (account_id, r.relationship_id, r.source, r.target, r.kind.value, r.kind.formal, r.strength)
        for r in state.links.values()
    ]


class BuyingCenters(ForgettingProjection):
    name = "buying_centers"
    version = 6  # 2: contact_plan (the portfolio's same-message risk reads it); 3: comments name the personal columns;
    # 4: away, the periods a member was away and came back from (the portfolio's contacts read it); 5: last_contact
    # counts no contact on a day an absence covers, as the log knows it (a leaving or return dated back); 6:
    # retired_roles, the roles of a member the role set has dropped since (the projection reads the role sets)
    tables = (MEMBERS, RELATIONSHIPS)
    event_types = BUYING_CENTER_EVENTS.names() | {SUBJECT_FORGOTTEN, ROLE_SET}

    def __init__(self, upcasters: Upcasters) -> None:
        self.folder = StreamFolder(BUYING_CENTER, upcasters)
        # the settings are read from the log, never folded from a batch, which carries only their ROLE_SET events
        self.settings = StreamFolder(SETTINGS, upcasters)

    def leased(self) -> None:
        super().leased()
        self.settings.clear()

    async def refold(
        self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent], through: int
    ) -> None:
        members, links = tables["buying_center_members"], tables["buying_center_relationships"]
        also = await naming_forgotten(conn, events, members, "member_id", PREFIX)
        folded = await self.folder.fold(conn, tables["buying_center_members"], events, also, through)
        states = folded.states
        role_set = any(e.event_type == ROLE_SET for e in events)
        if not states and not role_set:
            return
        at = await self.settings.fold(conn, tables["buying_center_members"], (), [SETTINGS_STREAM], through)
        retired = at.states[SETTINGS_STREAM].retired_role_codes
        if role_set:  # the rows of the maps the batch leaves alone too: all are as of `through`
            await conn.execute(RETIRED.format(members), sorted(retired))
        if not states:
            return
        if stale := folded.stale(PREFIX):
            await conn.execute(f"DELETE FROM {members} WHERE account_id = ANY($1::text[])", stale)
            await conn.execute(f"DELETE FROM {links} WHERE account_id = ANY($1::text[])", stale)
        m_rows = [r for s in states for r in member_rows(s.removeprefix(PREFIX), states[s], retired)]
        l_rows = [r for s in states for r in link_rows(s.removeprefix(PREFIX), states[s])]
        for table, records in ((members, m_rows), (links, l_rows)):
            if records:
                columns = [c.name for c in (MEMBERS if table is members else RELATIONSHIPS).columns]
                await conn.copy_records_to_table(table.name, schema_name=table.schema, records=records, columns=columns)
