"""The bookkeeping that decides which positions a live reader may deliver."""

from service.events.subscription import Fences


def test_an_idle_database_makes_everything_seen_final_at_once() -> None:
    fences = Fences()
    assert fences.observe(xmin=100, next_xid=100, head=7) == 7
    assert not fences.waiting


def test_positions_wait_until_every_transaction_older_than_the_fence_has_ended() -> None:
    fences = Fences()
    assert fences.observe(xmin=98, next_xid=101, head=7) == 0  # xid 98 is still open: it may commit below 7
    assert fences.waiting
    assert fences.observe(xmin=100, next_xid=104, head=9) == 0  # xid 100 may still be open
    assert fences.observe(xmin=101, next_xid=104, head=9) == 7  # all below 101 ended: up to 7 is final
    assert fences.observe(xmin=104, next_xid=104, head=9) == 9
    assert not fences.waiting


def test_a_reader_resumes_from_its_checkpoint() -> None:
    fences = Fences(safe=50)
    assert fences.observe(xmin=10, next_xid=10, head=40) == 50  # nothing new beyond the checkpoint
    assert not fences.waiting
