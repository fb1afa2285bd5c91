"""The negotiation balance (seed 003): the share of negotiations of mutual terms among a manager's contacts.

When meetings stop being negotiations and become only "how we will meet the client's demands", the
manager has been recruited by the client. The share over the last window is compared with the one before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

NEGOTIATION = "negotiation"
MIN_CONTACTS = 3  # fewer contacts in a window say nothing about its share
FALL = 0.5  # the share at most halved...
FLOOR = 0.2  # ...from a previous share of at least this


@dataclass(frozen=True, slots=True)
class Balance:
    current: float | None  # share of negotiations in the last window; None without enough contacts
    previous: float | None
    contacts: int  # in the last window
    falling: bool


def _share(kinds: list[str]) -> float | None:
    return round(sum(k == NEGOTIATION for k in kinds) / len(kinds), 4) if len(kinds) >= MIN_CONTACTS else None


def negotiation_balance(contacts: Iterable[tuple[str, date]], today: date, window_days: int) -> Balance:
    start = today - timedelta(days=window_days)
    before = start - timedelta(days=window_days)
    current = [kind for kind, day in contacts if start < day <= today]
    previous = [kind for kind, day in contacts if before < day <= start]
    now, then = _share(current), _share(previous)
    falling = now is not None and then is not None and then >= FLOOR and now <= then * FALL
    return Balance(now, then, len(current), falling)
