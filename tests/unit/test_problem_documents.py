"""A problem's extensions are whatever the rule that refused put there: a date or an amount must not turn the
refusal into a 500 (the conversion report's first cut passed a datetime and answered 'Internal error')."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from service.api.problems import Problem, problem_response


def test_dates_and_amounts_in_a_problem_are_written_as_json_text() -> None:
    problem = Problem(
        422, "/problems/x", "X", since=datetime(2026, 6, 1, tzinfo=UTC), on=date(2026, 6, 2), cost=Decimal("1.50")
    )
    body = json.loads(problem_response(None, problem).body)
    assert (body["since"], body["on"], body["cost"]) == ("2026-06-01T00:00:00+00:00", "2026-06-02", "1.50")
