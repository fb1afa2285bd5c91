"""Forgettable personal data: sealed in the log, readable until forgotten, then redacted everywhere."""

from __future__ import annotations

import pytest

from service.events import ANY, NO_STREAM, NewEvent, SubjectForgotten
from tests.conftest import IsolatedDb
from tests.support.dumps import dump as _dump

NAME = "Иван Петрович Сидоров"
HOBBY = "рыбалка на Волге"
OTHER = "Anna Smirnova"


def member(person: str, name: str, notes: str) -> NewEvent:
    return NewEvent(
        event_type="MemberAdded",
        data={"member_id": person, "name": name, "notes": notes, "influence": 4},
        personal={"name": person, "notes": person},
    )


async def _record(db: IsolatedDb) -> None:
    await db.store.append("bc-1", "buying_center", NO_STREAM, [member("p-1", NAME, HOBBY), member("p-2", OTHER, "-")])
    answer = NewEvent(
        event_type="AnswerRecorded", data={"question": "decision maker", "answer": NAME}, personal={"answer": "p-1"}
    )
    await db.store.append("dossier-1", "dossier", NO_STREAM, [answer])


async def test_personal_fields_are_stored_sealed_and_read_back_plain(isolated: IsolatedDb) -> None:
    await _record(isolated)
    [ivan, anna] = await isolated.store.read_stream("bc-1")
    assert (ivan.data["name"], ivan.data["notes"], ivan.data["influence"]) == (NAME, HOBBY, 4)
    assert anna.data["name"] == OTHER
    assert ivan.redacted == ()
    dump = _dump(isolated.url)
    assert "$pii" in dump
    assert NAME not in dump
    assert HOBBY not in dump
    assert OTHER not in dump


async def test_forgetting_a_subject_redacts_it_in_every_stream_and_the_chain_still_verifies(
    isolated: IsolatedDb,
) -> None:
    await _record(isolated)
    forgotten = await isolated.store.forget_subject("p-1", {"actor": "root", "actor_role": "admin"})
    assert forgotten.position is not None

    [ivan, anna] = await isolated.store.read_stream("bc-1")
    assert (ivan.data["name"], ivan.data["notes"], ivan.data["influence"]) == (None, None, 4)
    assert sorted(ivan.redacted) == ["name", "notes"]
    assert anna.data["name"] == OTHER
    assert anna.redacted == ()
    [answer] = await isolated.store.read_stream("dossier-1")
    assert answer.data == {"question": "decision maker", "answer": None}
    assert answer.redacted == ("answer",)
    everything = await isolated.store.read_all(0)
    assert all(e.data.get("name") != NAME for e in everything)

    [record] = await isolated.store.read_stream("subject-p-1")
    assert (record.event_type, record.data, record.metadata["actor"]) == (
        "SubjectForgotten",
        {"subject_id": "p-1"},
        "root",
    )
    assert (await isolated.store.verify()).ok
    dump = _dump(isolated.url)
    assert NAME not in dump
    assert HOBBY not in dump


async def test_a_forgotten_subject_cannot_be_recorded_again_and_forgetting_twice_is_harmless(
    isolated: IsolatedDb,
) -> None:
    await _record(isolated)
    first = await isolated.store.forget_subject("p-1")
    again = await isolated.store.forget_subject("p-1")
    assert again.position is None
    assert again.forgotten_at == first.forgotten_at
    with pytest.raises(SubjectForgotten):
        await isolated.store.append("bc-1", "buying_center", ANY, [member("p-1", NAME, HOBBY)])
    assert len(await isolated.store.read_stream("bc-1")) == 2
    assert len(await isolated.store.read_stream("subject-p-1")) == 1


async def test_forgetting_a_subject_never_seen_blocks_its_data_from_then_on(isolated: IsolatedDb) -> None:
    forgotten = await isolated.store.forget_subject("p-never")
    assert forgotten.position is not None
    with pytest.raises(SubjectForgotten):
        await isolated.store.append("bc-9", "buying_center", ANY, [member("p-never", "X", "Y")])


async def test_autovacuum_takes_destroyed_keys_and_purged_snapshots_at_the_first_dead_row(
    isolated: IsolatedDb,
) -> None:
    """The old row version of a destroyed key (and of a purged snapshot) stays in the page until vacuumed; these
    tables would otherwise wait for 50 dead rows (migration 0004)."""
    async with isolated.pool.acquire() as conn:
        options = {
            r["relname"]: sorted(r["reloptions"] or [])
            for r in await conn.fetch(
                "SELECT relname, reloptions FROM pg_class WHERE relname IN ('subject_keys', 'snapshots')"
            )
        }
    at_once = ["autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=0"]
    assert options == {"subject_keys": at_once, "snapshots": at_once}


async def test_a_field_about_two_subjects_is_forgotten_with_either_of_them(isolated: IsolatedDb) -> None:
    def link(source: str, target: str, note: str) -> NewEvent:
        data = {"source": source, "target": target, "note": note}
        return NewEvent(event_type="MembersLinked", data=data, personal={"note": (source, target)})

    await isolated.store.append(
        "bc-2", "buying_center", NO_STREAM, [link("p-1", "p-2", HOBBY), link("p-2", "p-3", NAME)]
    )
    assert [e.data["note"] for e in await isolated.store.read_stream("bc-2")] == [HOBBY, NAME]
    dump = _dump(isolated.url)
    assert HOBBY not in dump
    assert NAME not in dump

    await isolated.store.forget_subject("p-2", {"actor": "root", "actor_role": "admin"})  # the first's target
    first, second = await isolated.store.read_stream("bc-2")
    assert (first.data, first.redacted) == ({"source": "p-1", "target": "p-2", "note": None}, ("note",))
    assert (second.data["note"], second.redacted) == (None, ("note",))  # its source
    with pytest.raises(SubjectForgotten):  # nothing new about the pair, whichever way round
        await isolated.store.append("bc-2", "buying_center", ANY, [link("p-1", "p-2", "again")])
    await isolated.store.append("bc-2", "buying_center", ANY, [link("p-1", "p-4", OTHER)])
    assert (await isolated.store.read_stream("bc-2"))[-1].data["note"] == OTHER
    await isolated.store.forget_subject("p-4", {"actor": "root", "actor_role": "admin"})
    assert (await isolated.store.read_stream("bc-2"))[-1].data["note"] is None
    assert (await isolated.store.verify()).ok
