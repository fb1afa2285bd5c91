"""A forget reaches the generations whose runner cannot apply it in order: one failing on a batch before it, and a
build of another version that no process runs any more (`unrun_builds`).

Each generation takes a forget when its own runner applies the `SubjectForgotten` event. One whose runner fails on a
batch before it would keep the person in clear until the batch is mended, for BI to read if it is live; so while it
fails, its runner applies the forgets recorded after its checkpoint to its rows as they stand at the checkpoint
(`AheadOfFailures`), in a transaction of its own under the lease, and leaves the checkpoint where it is. In that
transaction it also empties the builds no process runs, or marks those leased as owing the forgets, as a batch that
applies a forget in order does: either path reaches the same builds.

Lock order: the generation's checkpoint row, its tables, then the builds' (`unrun_builds`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from service.events import sql as events_sql
from service.events.reading import to_events
from service.events.subscription import Fences
from service.events.upcasting import Upcasters
from service.logs import handles_event_data
from service.projections import sql, unrun_builds
from service.projections.folding import SUBJECT_FORGOTTEN
from service.projections.generations import BUILDING, LIVE, table_names
from service.projections.model import Projection

log = handles_event_data(logging.getLogger(__name__))  # a database error may quote a row's values


def forgotten_at(projection: Projection, events: Sequence[Any]) -> int | None:
    """The position of the batch's last forget, for a projection that applies forgets (it declares the event: it
    holds personal data); None otherwise."""
    if SUBJECT_FORGOTTEN not in (projection.event_types or ()):
        return None
    return max((e.position for e in events if e.event_type == SUBJECT_FORGOTTEN), default=None)


@dataclass(slots=True)
class _Scanned:
    """How far the log past a failing generation's checkpoint was searched for forgets, by this process."""

    fences: Fences  # proves positions final, as a subscription does: an append may commit below the head it saw
    through: int  # every forget at or below it lies at or below the checkpoint, or was applied ahead
    applied: set[int]  # forgets above `through` that were applied ahead already


class AheadOfFailures:
    """Applies the forgets recorded after a failing generation's checkpoint to its rows there, each once per process.

    Sound because the rows at checkpoint C are the fold of the events up to C as they read now: once a key is deleted,
    its person's events read redacted at every position, so refolding up to C the streams whose rows name the person
    gives what a rebuild up to C would give now (`ForgettingProjection.forget`). Not redone at each retry: what it
    redacted stays so, as every batch applied after it reads the person redacted, and each lease starts with cold
    caches. Each retry searches only the log past what earlier ones proved final and searched, not all of it past
    the checkpoint. Nothing of this runs while batches commit: only after one failed.
    """

    def __init__(self, upcasters: Upcasters) -> None:
        self.upcasters = upcasters
        self._scanned: dict[tuple[str, int], _Scanned] = {}

    async def apply(self, lease: asyncpg.Connection, projection: Projection, generation: int) -> None:
        """With the generation's lease held, after its batch failed. Best effort: the error is logged, and the next
        retry tries again."""
        forget = getattr(projection, "forget", None)
        if forget is None or SUBJECT_FORGOTTEN not in (projection.event_types or ()):
            return  # no personal columns, or code that cannot refold them
        key = (projection.name, generation)
        try:
            fence = await lease.fetchrow(events_sql.FENCE)  # before the transaction below takes an xid
            async with lease.transaction():  # the checkpoint row first, then the tables, as a batch locks them
                row = await lease.fetchrow(sql.LOCK_CHECKPOINT, projection.name, generation)
                if row is None or row["status"] not in (LIVE, BUILDING):
                    self._scanned.pop(key, None)
                    return
                checkpoint = row["position"]
                scanned = self._scanned.setdefault(key, _Scanned(Fences(checkpoint), checkpoint, set()))
                final = scanned.fences.observe(fence["xmin"], fence["next_xid"], fence["head"])
                after = max(checkpoint, scanned.through)
                rows = [r for r in await lease.fetch(sql.FORGETS_AFTER, after) if r["position"] not in scanned.applied]
                forgets = await to_events(lease, rows, self.upcasters)
                emptied: list[int] = []
                if forgets:
                    await forget(lease, table_names(projection, generation), forgets, checkpoint)
                    emptied = await unrun_builds.empty_unrun_builds(lease, projection, forgets[-1].position)
        except Exception:
            log.exception("projection %s generation %d: applying forgets ahead of its checkpoint failed", *key)
            return
        scanned.through = max(after, final)  # every position up to `final` was final before the search began
        scanned.applied = {p for p in scanned.applied | {e.position for e in forgets} if p > scanned.through}
        if forgets:
            log.warning(
                "projection %s generation %d fails on the batch after position %d: applied the forgets at positions %s "
                "to its rows there ahead of it",
                projection.name, generation, checkpoint, ", ".join(str(e.position) for e in forgets),
            )  # fmt: skip
            unrun_builds.report(projection, emptied, forgets[-1].position)
