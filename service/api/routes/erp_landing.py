"""Where an ERP delivery lands: the account it names, and, when another account holds the document, that one too.

The document's holder (`holding.py`) is read first, to know which histories the decision needs; the append checks
the holder's version with them, so a holder that changed in between means deciding again. A document kept before
holders were has none: the accounts whose histories hold it are looked up in the log, by an index of migration 0016.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from service.api.commanding import Command, Warning_
from service.commands.aggregates import DOCUMENT_HOLDER, PURCHASES, document_holder_stream, purchases_stream
from service.commands.handler import Outcome, Step
from service.commands.retrying import until_it_lands
from service.domain.purchases.commands import RecordPurchaseDocument
from service.domain.purchases.holding import Delivered, deliver
from service.domain.purchases.state import Document, PurchaseHistory
from service.events.errors import ConcurrencyError
from service.runtime import Runtime

ROUNDS = 20  # the command handler's own attempts each, with a growing jittered pause between rounds
PREFIX = "purchases-"

# every character str.isspace() holds, which str.strip() trims: migration 0016's literal, character for character
SPACES = (
    r"E'\t\n\x0b\f\r\x1c\x1d\x1e\x1f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    r"\u2009\u200a\u2028\u2029\u202f\u205f\u3000'"
)
# the accounts whose histories recorded the document before its holder was kept (trimmed as `trimmed()` trims
# what the ERP sends today; the expression is the index's, so the lookup reads the index)
KEPT_BEFORE_HOLDERS = r"""
SELECT DISTINCT stream_id FROM events
WHERE event_type = 'PurchaseDocumentRecorded' AND data->'document'->>'kind' = $1
  AND btrim(data->'document'->>'number', {SPACES}) = $2
""".replace("{SPACES}", SPACES)


async def land(command: Command, record: RecordPurchaseDocument) -> tuple[Outcome[PurchaseHistory], Document | None]:
    """The delivery decided and appended, with the version kept that overtook it (None when it was not too old);
    tried again while it loses races to other deliveries, of this account or of the document to another: the
    ERP's bursts are routine, and a conflict would only make it deliver again later. A retry is safe: the delivery
    id keys it, so a round that did land answers as itself."""

    async def once() -> tuple[Outcome[PurchaseHistory], Document | None]:
        held = await _holders(command.runtime, record)
        decided: list[tuple[dict[str, Any], Delivered]] = []  # per attempt of the handler, its states' decision

        def decision(states: dict[str, Any]) -> Delivered:
            if not decided or decided[-1][0] is not states:
                if states[held.stream].account_id != held.claimed:
                    raise ConcurrencyError("the document changed hands meanwhile")  # the steps are stale: again
                histories = {s.removeprefix(PREFIX): states[s] for s in states if s.startswith(PREFIX)}
                decided.append((states, deliver(states[held.stream], histories, record)))
            return decided[-1][1]

        def step(account: str) -> Step:
            return Step(PURCHASES, purchases_stream(account), lambda s: decision(s).events.get(account, []))

        accounts = [record.account_id, *sorted(held.accounts - {record.account_id})]
        steps = [*map(step, accounts), Step(DOCUMENT_HOLDER, held.stream, lambda s: decision(s).claims)]
        outcome, *_ = await command.run_many(steps)  # the delivered account's history first: its version is answered
        return outcome, decided[-1][1].overtaken_by if decided and not outcome.events else None

    return await until_it_lands(once, rounds=ROUNDS, pause=lambda round_: random.uniform(0.005, 0.05) * round_)


class Held(NamedTuple):
    stream: str  # the document's holder stream
    claimed: str | None  # the account it names; None for a document never claimed
    accounts: set[str]  # the accounts holding the document: the claimed one, or those whose histories recorded it


async def _holders(runtime: Runtime, record: RecordPurchaseDocument) -> Held:
    document = record.document
    stream = document_holder_stream(document.kind.value, document.number)
    claimed = (await runtime.repository.load(DOCUMENT_HOLDER, stream)).state.account_id
    if claimed is not None:
        return Held(stream, claimed, {claimed})
    async with runtime.pool.acquire() as conn:
        rows: Sequence[Any] = await conn.fetch(KEPT_BEFORE_HOLDERS, document.kind.value, document.number)
    return Held(stream, None, {r["stream_id"].removeprefix(PREFIX) for r in rows})


def overtaken_warning(document: Document, kept: Document | None) -> list[Warning_]:
    """A warning when the delivery was ignored as older than the version kept: answered 200 all the same, since
    sending it again cannot help, but the ERP's operator can see that it did not land."""
    if kept is None:
        return []
    return [
        Warning_(
            code="delivery-overtaken",
            message=f"{document.kind.value} {document.number} as changed at {_iso(document.changed_at)} is older "
            f"than the version kept, changed at {_iso(kept.changed_at)}: ignored.",
            details={
                "timestamp": _iso(document.changed_at),
                "kept_timestamp": _iso(kept.changed_at),
                "kept_revision": kept.revision,
            },
        )
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None
