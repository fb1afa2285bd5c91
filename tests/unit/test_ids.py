"""Event ids are RFC 9562 UUIDv7: version 7, RFC variant, ordered by creation time."""

import os
import time
import uuid

from service.events import new_event_id

RANDOM_BITS = (0xFFF << 64) | ((1 << 62) - 1)  # rand_a and rand_b: all but the time, version and variant


def test_event_ids_are_version_7_and_time_ordered() -> None:
    first = new_event_id()
    time.sleep(0.002)
    second = new_event_id()
    assert (first.version, first.variant) == (7, "specified in RFC 4122")
    assert first < second
    assert abs((first.int >> 80) - time.time_ns() // 1_000_000) < 5_000


def test_an_event_id_is_an_ordinary_uuid() -> None:
    event_id = new_event_id()
    assert type(event_id) is uuid.UUID
    assert uuid.UUID(str(event_id)) == event_id
    assert hash(uuid.UUID(bytes=event_id.bytes)) == hash(event_id)


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    new_event_id()  # the parent now holds a block of randomness the child would inherit
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(write, new_event_id().bytes)
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    from_child = uuid.UUID(bytes=os.read(read, 16))
    os.close(read)
    assert from_child.int & RANDOM_BITS != new_event_id().int & RANDOM_BITS
