"""read.account_ownership: who owned each account, and in which team, from which position of the log on.

The opportunities projection keeps it from the accounts' own events, in log order, so that each stage change and loss
is credited to the owner and team of the moment it was recorded, not to the account's owner now: a hunter who handed a
won client over keeps the stages they worked. It is that projection's own table, not read from read.accounts, which
another projection builds at its own pace (a rebuild of one would see the other's rows ahead of or behind it).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

import asyncpg

from service.domain.account.events import AccountHandedOver, AccountOpened, AccountTeamAssigned
from service.domain.opportunity.events import OpportunityLost, OpportunityOpened, StageAdvanced
from service.events import RecordedEvent
from service.projections.model import Column, PhysicalTable, Table

OWNERSHIP = Table(
    name="account_ownership",
    comment="Who owned each account, and in which team, from which event of the log on: opened, handed over, moved.",
    columns=(
        Column("account_id", "text NOT NULL", "The account."),
        Column("position", "bigint NOT NULL", "Log position of the event from which this owner and team hold."),
        Column("since", "timestamptz NOT NULL", "When that event was recorded."),
        Column("owner", "text NOT NULL", "Owner manager (token subject) from then on."),
        Column("team", "text", "The supervisor's team overseeing the account from then on (null: none)."),
    ),
    primary_key=("account_id", "position"),
)
OPENED, HANDED_OVER, MOVED = AccountOpened.__name__, AccountHandedOver.__name__, AccountTeamAssigned.__name__
EVENT_TYPES = frozenset({OPENED, HANDED_OVER, MOVED})

LATEST = """
SELECT DISTINCT ON (account_id) account_id, owner, team FROM {} WHERE account_id = ANY($1::text[])
ORDER BY account_id, position DESC
"""
HISTORY = """
SELECT account_id, position, owner, team FROM {} WHERE account_id = ANY($1::text[]) ORDER BY account_id, position
"""
# the events of these streams that add a stage change (a project's history) or a loss, in stream order
CREDITED = """
SELECT stream_id, event_type, position FROM events
WHERE stream_id = ANY($1::text[]) AND event_type = ANY($2::text[]) AND position <= $3
ORDER BY stream_id, stream_version
"""
CHANGES, LOSSES = (OpportunityOpened.__name__, StageAdvanced.__name__), (OpportunityLost.__name__,)

Owner = tuple[str | None, str | None]  # (owner, team); (None, None) where no account event came before


async def record(conn: asyncpg.Connection, table: PhysicalTable, events: Sequence[RecordedEvent]) -> None:
    """Add a row for each of the batch's account events that set an owner or a team (the other carried on)."""
    mine = [e for e in events if e.event_type in EVENT_TYPES]
    if not mine:
        return
    accounts = sorted({e.stream_id.removeprefix("account-") for e in mine})
    now: dict[str, Owner] = {
        r["account_id"]: (r["owner"], r["team"]) for r in await conn.fetch(LATEST.format(table), accounts)
    }
    rows = []
    for e in mine:
        account = e.stream_id.removeprefix("account-")
        owner, team = now.get(account, (None, None))
        if e.event_type == OPENED:
            owner, team = e.data["owner"], e.data["team"]
        elif e.event_type == HANDED_OVER:
            owner = e.data["to_owner"]
        else:
            team = e.data["team"]
        now[account] = (owner, team)
        rows.append((account, e.position, e.recorded_at, owner, team))
    await conn.copy_records_to_table(
        table.name, schema_name=table.schema, records=rows, columns=[c.name for c in OWNERSHIP.columns]
    )


class OfTheTime:
    """The owner and team of each stage change and loss of some projects, as of the log position that recorded it."""

    def __init__(self, history: dict[str, list[tuple[int, Owner]]], credited: dict[str, dict[str, list[int]]]):
        self._history = history
        self._credited = credited

    def changes(self, stream: str, account: str, count: int) -> list[Owner]:
        return self._owners(stream, account, CHANGES, count)

    def losses(self, stream: str, account: str, count: int) -> list[Owner]:
        return self._owners(stream, account, LOSSES, count)

    def _owners(self, stream: str, account: str, kinds: tuple[str, ...], count: int) -> list[Owner]:
        positions = [p for kind in kinds for p in self._credited.get(stream, {}).get(kind, [])]
        positions.sort()
        if len(positions) != count:  # the fold adds one entry per such event: anything else is a bug, not data
            raise RuntimeError(f"{stream}: {count} entries folded from {len(positions)} events {kinds}")
        history = self._history.get(account, [])
        starts = [p for p, _ in history]
        return [history[i - 1][1] if (i := bisect_left(starts, p)) else (None, None) for p in positions]


async def of_the_time(
    conn: asyncpg.Connection, table: PhysicalTable, projects: Sequence[tuple[str, str]], through: int
) -> OfTheTime:
    """Look up the owners of the time for `projects` ((stream id, account id)), folded up to position `through`."""
    streams, accounts = [s for s, _ in projects], {a for _, a in projects}
    history: dict[str, list[tuple[int, Owner]]] = {}
    for r in await conn.fetch(HISTORY.format(table), sorted(accounts)):
        history.setdefault(r["account_id"], []).append((r["position"], (r["owner"], r["team"])))
    credited: dict[str, dict[str, list[int]]] = {}
    for r in await conn.fetch(CREDITED, streams, [*CHANGES, *LOSSES], through):
        credited.setdefault(r["stream_id"], {}).setdefault(r["event_type"], []).append(r["position"])
    return OfTheTime(history, credited)
