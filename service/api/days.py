"""Which calendar day a request's date rules are judged on: commands take the latest day begun anywhere, views UTC's
day (or the day of their `as_of`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def today() -> date:
    """UTC's day: the one the date rules of views (stale, overdue, stalled) are judged on."""
    return datetime.now(UTC).date()


# Kiritimati (Line Islands) keeps UTC+14, the furthest ahead of any time zone: its day is the latest begun anywhere
LATEST_UTC_OFFSET = timedelta(hours=14)


def latest_day() -> date:
    """The latest calendar day begun anywhere: what a command's "not in the future" rule takes as today. kamplan knows
    no caller's time zone, so a fact dated today by its user is dated at most this. Judged on UTC's day, a manager
    east of Greenwich could not log this morning's meeting until UTC's day began (in Vladivostok, until 10:00)."""
    return (datetime.now(UTC) + LATEST_UTC_OFFSET).date()


def day_of(as_of: datetime | None) -> date:
    """The day date rules (staleness, overdue, stalled) are judged on: today, or the UTC day of `as_of`. The
    offset a caller writes names the same instant and must not move the day, as `as_of.date()` did. A moment
    still to come is judged today: what kamplan knows then is what it knows now."""
    return min(as_of.astimezone(UTC).date(), today()) if as_of else today()
