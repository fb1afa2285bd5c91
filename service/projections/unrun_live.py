"""A forget reaches a live generation of a newer version than this code's that no process runs (the newer code went
live, then the deployment rolled back): it empties it, as it empties a build no process runs (`unrun_builds`).

The older code applies no generation of such a projection: it builds none of its own beside a newer one, which the
processes of the newer version, where they run, would see replace theirs; and it cannot refold the newer rows, which it
does not know. Yet BI reads them through the views. So no runner of the older code ever applies a forget to them, and
they would keep the person in clear for as long as the newer code stays away.

So every runner whose code applies forgets to the projection watches, at each pass of its supervision, such a live
generation: it searches the log past the generation's checkpoint for forgets (only what earlier passes did not prove
final and search: the subscription's fences), and once it has found one there, and no process has held the
generation's lease at any pass for `UNRUN_AFTER` seconds, it empties the generation's tables and sets its checkpoint to
zero, under the lease's key taken for the transaction, as for a build. It stays live, empty: BI and reads find no
rows, and a read waiting for a position waits as it did. Should the newer version run again, its runner fills it from
the log, where the person reads redacted. A process of that version takes a lease let go within a poll interval, and
holds it while it runs (between two attempts of a failing batch too, but for a moment): the wait keeps a lease changing
hands, a process of that version restarting within it, from costing the projection its rows (one slower to come back
fills it again from the log). Nothing of this runs unless a live
generation is of a newer version than this code's, and no query but the fence and the search unless a forget lies
past its checkpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from service.events import sql as events_sql
from service.events.subscription import Fences
from service.logs import handles_event_data
from service.projections import sql, unrun_builds
from service.projections.folding import SUBJECT_FORGOTTEN
from service.projections.generations import LIVE, Generation
from service.projections.model import Projection

log = handles_event_data(logging.getLogger(__name__))  # a database error may quote a row's values
UNRUN_AFTER = 60.0  # seconds no process may have held the lease, at any pass, before the generation counts as unrun
UNWATCHED_AFTER = 10.0  # seconds between two passes past which the lease went unwatched: the wait starts again


@dataclass(slots=True)
class _Watch:
    """What this process knows of one live generation of a newer version."""

    fences: Fences  # proves positions final: an append may commit below a head already seen
    through: int  # the log was searched for forgets up to here
    forget: int  # the latest forget found past the checkpoint (0: none)
    free_since: float | None  # since when every pass found its lease free, with a forget past the checkpoint
    free_seen: float = 0.0  # the last pass that found it so


class NewerLive:
    """Empties the live generations of a newer version that no process runs, once a forget lies past their
    checkpoint; one per runner, which calls `reach` at each pass of its supervision."""

    def __init__(self) -> None:
        self._watched: dict[str, tuple[int, _Watch]] = {}  # by projection: the live generation watched
        self._failed_logged: dict[str, float] = {}

    async def reach(self, conn: asyncpg.Connection, projection: Projection, generations: Sequence[Generation]) -> bool:
        """Outside a transaction, `generations` as the pass read them: whether it emptied the live generation."""
        live = next((g for g in generations if g.status == LIVE), None)
        if (
            SUBJECT_FORGOTTEN not in (projection.event_types or ())
            or live is None
            or live.version <= projection.version
            or live.position == 0
        ):
            self._watched.pop(projection.name, None)
            return False
        watched = self._watched.get(projection.name)
        if watched is None or watched[0] != live.generation:
            watched = self._watched[projection.name] = (live.generation, _Watch(Fences(live.position), 0, 0, None))
        watch = watched[1]
        fence = await conn.fetchrow(events_sql.FENCE)
        final = watch.fences.observe(fence["xmin"], fence["next_xid"], fence["head"])
        after = max(watch.through, live.position)
        if final > after:
            found = await conn.fetchval(sql.LAST_FORGET_BETWEEN, after, final)
            watch.forget = max(watch.forget, found or 0)
        watch.through = max(after, final)
        if watch.forget <= live.position or await conn.fetchrow(sql.LEASE_HOLDER, projection.name, live.generation):
            watch.free_since = None  # nothing past its checkpoint, or a process runs it: it applies the forget itself
            return False
        now = time.monotonic()
        if watch.free_since is None or now - watch.free_seen > UNWATCHED_AFTER:
            watch.free_since = now  # no pass watched the lease since the last (a stalled supervision): held, maybe
        watch.free_seen = now
        if now - watch.free_since < UNRUN_AFTER:
            return False
        return await self._empty(conn, projection, live.generation, watch.forget)

    async def _empty(self, conn: asyncpg.Connection, projection: Projection, generation: int, forget: int) -> bool:
        try:
            async with conn.transaction():
                emptied = await conn.fetchval(
                    sql.TRY_LEASE_IN_TRANSACTION, projection.name, generation
                ) and await unrun_builds.empty(conn, projection, generation, sql.LOCK_NEWER_LIVE, forget)
        except asyncpg.PostgresError:
            now = time.monotonic()
            if now - self._failed_logged.get(projection.name, 0.0) < unrun_builds.FAILED_LOG_EVERY:
                return False
            self._failed_logged[projection.name] = now
            log.exception(
                "projection %s: live generation %d, of a newer version that no process runs, keeps rows from before "
                "the forget at position %d: emptying it failed (tried again at each pass)",
                projection.name, generation, forget,
            )  # fmt: skip
            return False
        if emptied:
            self._watched.pop(projection.name, None)
            log.warning(
                "projection %s: live generation %d, of a newer version that no process has run for %g s, held rows "
                "from before the forget at position %d: emptied; it stays live, and fills again from position 0 if "
                "its version runs again",
                projection.name, generation, UNRUN_AFTER, forget,
            )  # fmt: skip
        return bool(emptied)
