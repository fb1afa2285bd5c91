"""Freezing the startup heap keeps what is alive out of full collections, but never keeps garbage."""

import gc
import weakref

from service.heap import freeze_startup_heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector can free it


def test_startup_garbage_is_collected_and_what_is_alive_is_frozen() -> None:
    garbage, alive = Node(), Node()
    gone = weakref.ref(garbage)
    del garbage
    try:
        freeze_startup_heap()
        assert gone() is None
        assert gc.get_freeze_count() > 0
        assert not any(o is alive for o in gc.get_objects())  # frozen objects are out of the collector's sight
    finally:
        gc.unfreeze()
    assert any(o is alive for o in gc.get_objects())
