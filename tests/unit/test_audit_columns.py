"""The audit log COPYs envelopes unchanged: an envelope's items land in its columns by order, not by name."""

from __future__ import annotations

from service.events import ENVELOPE_FIELDS
from service.projections.audit import COLUMNS


def test_the_audit_logs_columns_are_the_envelopes_fields_in_order() -> None:
    assert tuple(COLUMNS) == ENVELOPE_FIELDS
