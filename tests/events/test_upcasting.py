"""Schema evolution: an event stored in an old shape reads back in the current one; the log is untouched."""

from __future__ import annotations

from typing import Any

import pytest

from service.events import NO_STREAM, EventStore, NewEvent, Upcasters
from tests.conftest import IsolatedDb


def member_upcasters() -> Upcasters:
    upcasters = Upcasters()

    @upcasters.register("MemberAdded", 1)
    def split_fio(data: dict[str, Any]) -> dict[str, Any]:
        rest = {k: v for k, v in data.items() if k != "fio"}
        return {**rest, "name": data["fio"]}

    @upcasters.register("MemberAdded", 2)
    def add_roles(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "roles": []}

    return upcasters


async def test_an_old_event_reads_back_in_the_current_shape(isolated: IsolatedDb) -> None:
    old = NewEvent(event_type="MemberAdded", data={"fio": "Petrov"}, schema_version=1)
    await isolated.store.append("bc-1", "bc", NO_STREAM, [old])

    store = EventStore(isolated.pool, upcasters=member_upcasters())
    [event] = await store.read_stream("bc-1")
    assert (event.schema_version, event.data) == (3, {"name": "Petrov", "roles": []})
    await store.append(
        "bc-1", "bc", 1, [NewEvent(event_type="MemberAdded", data={"name": "Ivanova", "roles": ["ally"]})]
    )
    async with isolated.pool.acquire() as conn:
        stored = await conn.fetch(
            "SELECT schema_version, data FROM events WHERE stream_id = 'bc-1' ORDER BY stream_version"
        )
    assert [(r["schema_version"], r["data"]) for r in stored] == [
        (1, {"fio": "Petrov"}),
        (3, {"name": "Ivanova", "roles": ["ally"]}),
    ]
    assert (await store.verify()).ok


def test_upcasters_must_be_registered_in_order() -> None:
    upcasters = Upcasters()
    with pytest.raises(ValueError, match="in order"):
        upcasters.register("X", 2)(lambda d: d)
    upcasters.register("X", 1)(lambda d: d)
    with pytest.raises(ValueError, match="already"):
        upcasters.register("X", 1)(lambda d: d)
    assert upcasters.current_version("X") == 2
    assert upcasters.current_version("Unknown") == 1
