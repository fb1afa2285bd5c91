"""Event ids are RFC 9562 UUIDv7: version 7, RFC variant, ordered by creation time."""

import time

from service.events import new_event_id


def test_event_ids_are_version_7_and_time_ordered() -> None:
    first = new_event_id()
    time.sleep(0.002)
    second = new_event_id()
    assert (first.version, first.variant) == (7, "specified in RFC 4122")
    assert first < second
    assert abs((first.int >> 80) - time.time_ns() // 1_000_000) < 5_000
