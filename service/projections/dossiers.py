"""read.dossier_answers: the answers in force, for staleness in the portfolio and for BI."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from service.commands.aggregates import DOSSIER, DOSSIER_EVENTS
from service.domain.dossier.state import Dossier
from service.events import RecordedEvent
from service.events.codec import jsonb
from service.events.upcasting import Upcasters
from service.projections.folding import SUBJECT_FORGOTTEN, ForgettingProjection, StreamFolder, naming_forgotten
from service.projections.model import Column, Table, TableNames

PREFIX = "dossier-"

ANSWERS = Table(
    name="dossier_answers",
    comment="One row per dossier answer in force (retracted answers are absent). Answers about a person are "
    "null, and their source empty, once that person has been forgotten.",
    columns=(
        Column("account_id", "text NOT NULL", "The account."),
        Column("answer_key", "text NOT NULL", "question_code, or question_code@member_id for questions about people."),
        Column("question_code", "text NOT NULL", "The template question."),
        Column("about_member_id", "text", "For questions about a person: the buying-center member."),
        Column("value", "jsonb", "The answer, shaped by the question's answer type."),
        Column("source", "text NOT NULL", "Where we learnt it; empty once its person is forgotten (personal)."),
        Column("learned_on", "date NOT NULL", "When we learnt it: staleness counts from here."),
        Column("confidence", "text NOT NULL", "low, medium, high."),
        Column("template_version", "integer NOT NULL", "Template version the answer was given under."),
        Column(
            "revisions",
            "integer NOT NULL",
            "How many other answers the history holds: replaced by this one, or learnt before it and recorded after.",
        ),
    ),
    primary_key=("account_id", "answer_key"),
    indexes=(("about_member_id",),),
)
COLUMNS = [c.name for c in ANSWERS.columns]


def answer_rows(account_id: str, state: Dossier) -> list[tuple[object, ...]]:
    rows = []
    for key, slot in state.answers.items():
        if (answer := slot.current) is None:
            continue
        rows.append(
            (
                account_id,
                key,
                slot.question_code,
                slot.about,
                None if answer.value is None else jsonb(answer.value),
                answer.source,
                answer.learned_on,
                answer.confidence.value,
                answer.template_version,
                sum(not a.retracted for a in slot.history) - 1,
            )
        )
    return rows


class Dossiers(ForgettingProjection):
    name = "dossiers"
    version = 3  # 2: the answer in force is the one learnt last, not the last recorded; 3: source named personal
    tables = (ANSWERS,)
    event_types = DOSSIER_EVENTS.names() | {SUBJECT_FORGOTTEN}

    def __init__(self, upcasters: Upcasters) -> None:
        self.folder = StreamFolder(DOSSIER, upcasters)

    async def refold(
        self, conn: asyncpg.Connection, tables: TableNames, events: Sequence[RecordedEvent], through: int
    ) -> None:
        table = tables["dossier_answers"]
        also = await naming_forgotten(conn, events, table, "about_member_id", PREFIX)
        folded = await self.folder.fold(conn, tables["dossier_answers"], events, also, through)
        states = folded.states
        if not states:
            return
        if stale := folded.stale(PREFIX):
            await conn.execute(f"DELETE FROM {table} WHERE account_id = ANY($1::text[])", stale)
        records = [r for s in states for r in answer_rows(s.removeprefix(PREFIX), states[s])]
        if records:
            await conn.copy_records_to_table(table.name, schema_name=table.schema, records=records, columns=COLUMNS)
