"""`Moment` and `Day`: the types of every date-time and every calendar day the API takes.

A `Moment` (`as_of`, `since`, `until` of the date-time kind) is an ISO 8601 date-time with a time zone,
between 1900 and 2999 in UTC. A `Day` (a meeting's date, a due date, a learned-on date) is an ISO 8601
calendar date, YYYY-MM-DD, in the same years. Pydantic alone takes a number as Unix time (`"due": 0` was
stored as 1970-01-01), a date-time as a day, and any year Python can hold; a year near either end
overflows once converted to UTC or shifted by the staleness windows, which was a 500 where a 422 naming
the field belongs.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from service.domain.errors import FIRST_DAY, LAST_DAY, parse_day

# the days a Day may be (domain.errors), as instants: from the first one's start to the last one's end
EARLIEST = datetime.combine(FIRST_DAY, time(), UTC)
LATEST = datetime.combine(LAST_DAY + timedelta(days=1), time(), UTC)
_NUMBER = re.compile(r"\s*[-+]?[0-9.eE+-]+\s*")


def _not_a_number(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date-time with a time zone, e.g. 2026-11-23T09:00:00Z")
    return value


def _within(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError("must fall between 1900-01-01 and 2999-12-31 (UTC)")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(_within)]


def read_moment(value: Any) -> datetime:
    """A cursor's date-time, as `datetime.isoformat` wrote it: with its time zone, within a `Moment`'s years."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time with a time zone")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("must have a time zone")
    return _within(moment)


def read_day(value: Any) -> date:
    """A `Day` from input (a cursor's field too); ValueError for anything else."""
    if type(value) is date:
        return value
    if (day := parse_day(value)) is None:
        raise ValueError("must be an ISO 8601 date, YYYY-MM-DD, from 1900-01-01 to 2999-12-31, e.g. 2026-11-24")
    return day


Day = Annotated[date, BeforeValidator(read_day)]
