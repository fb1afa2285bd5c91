"""Dossier documents about a person: their title and link are sealed with the member they are about, and forgotten
with them (found by review: a title such as "CV of Ivan Petrov" stayed in the log after the person was forgotten)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx

from service.commands.aggregates import UPCASTERS
from service.domain.actors import Role
from service.events import NO_STREAM, NewEvent
from service.projections.waiting import wait_for_position
from tests.api.test_accounts import unique
from tests.api.test_buying_center import _personal_question, add
from tests.api.test_dossier import TODAY, setup
from tests.support.dumps import dump
from tests.support.problems import assert_refused

DOSSIER_READERS = ["dossiers", "accounts", "buying_centers", "audit_log"]


def _documents(view: dict) -> dict[str, dict]:
    return {d["document_id"]: d for d in view["documents"]}


async def test_a_document_about_a_person_reads_redacted_everywhere_once_they_are_forgotten(
    client: httpx.AsyncClient, auth, pool: asyncpg.Pool, database_url: str
) -> None:
    path, kam = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    code = _personal_question()
    answer = {"question_code": code, "value": "chess", "about": member, "learned_on": TODAY.isoformat()}
    assert (await client.post(f"{path}/dossier/answers", json=answer, headers=kam)).status_code == 201
    title, url, ref = unique("CV of Ivan Petrov"), f"https://hr.example/{unique('ivan-petrov')}.pdf", unique("DMS")
    attached = await client.post(
        f"{path}/dossier/documents",
        json={"title": title, "kind": "other", "url": url, "document_ref": ref, "question_code": code, "about": member},
        headers=kam,
    )
    assert attached.status_code == 201, attached.text
    document = attached.json()["document_id"]
    report = {"title": "Annual report 2025", "kind": "report", "url": "https://example.com/r.pdf"}
    company = (await client.post(f"{path}/dossier/documents", json=report, headers=kam)).json()["document_id"]
    before = _documents((await client.get(f"{path}/dossier", headers=kam)).json())
    assert (before[document]["title"], before[document]["url"], before[document]["document_ref"]) == (title, url, ref)
    assert (before[document]["about"], before[company]["about"]) == (member, None)
    moment = datetime.now(UTC).isoformat()

    forgot = await client.post(f"/v1/people/{member}/forget", headers=auth("root", Role.ADMIN))
    assert forgot.status_code == 200, forgot.text
    for params in ({}, {"as_of": moment}):
        read = await client.get(f"{path}/dossier", params=params, headers=kam)
        documents = _documents(read.json())
        redacted = documents[document]
        assert (redacted["title"], redacted["url"], redacted["document_ref"]) == (None, "", ""), params
        assert (redacted["about"], redacted["question_code"]) == (member, code)  # the reference to the node stays
        assert documents[company]["title"] == "Annual report 2025"  # about the client: no one's to forget
        assert [s for s in (title, url, ref) if s in read.text] == [], params
    again = await client.post(
        f"{path}/dossier/documents",
        json={"title": "Another CV", "url": "https://hr.example/2.pdf", "question_code": code, "about": member},
        headers=kam,
    )
    assert_refused(again, "subject-forgotten", None, 409)  # a document about them is new personal data

    await wait_for_position(pool, DOSSIER_READERS, forgot.json()["position"], 20)  # the read tables forgot too
    whole = dump(database_url)  # the log, snapshots, read tables and every other table, as a backup holds them
    assert [s for s in (title, url, ref) if s in whole] == []


async def test_a_document_names_the_person_of_a_question_about_people_as_an_answer_does(
    client: httpx.AsyncClient, auth, store
) -> None:
    """`about` is needed on a question about a person, refused on any other, and names a member at the client."""
    path, kam = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    gone = (await add(client, path, kam))["member"]["member_id"]
    left = await client.post(
        f"{path}/buying-center/members/{gone}/left", json={"on": TODAY.isoformat(), "reason": "quit"}, headers=kam
    )
    assert left.status_code == 200, left.text
    code = _personal_question()
    body = {"title": "Golf club membership", "url": "https://example.com/g"}
    before = await store.head_position()
    refusals = [
        ({"question_code": code}, "about-required", 422),
        ({"question_code": "revenue", "about": member}, "about-not-allowed", 422),
        ({"about": member}, "about-not-allowed", 422),
        ({"question_code": code, "about": unique("stranger")}, "member-not-in-buying-center", 404),
        ({"question_code": code, "about": gone}, "member-has-left", 409),
    ]
    for extra, problem, status in refusals:
        refused = await client.post(f"{path}/dossier/documents", json={**body, **extra}, headers=kam)
        assert_refused(refused, problem, "about", status)
    assert await store.head_position() == before


async def test_a_document_attached_before_titles_were_sealed_reads_as_written(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Version 1 of `DocumentAttached` had no `about`: lifted with none, its title stays in clear (immutable log)."""
    path, kam = await setup(client, auth)
    account = path.rsplit("/", 1)[1]
    stream = f"dossier-{account}"
    old = NewEvent(
        event_type="DocumentAttached",
        data={"account_id": account, "document_id": "d-old", "title": "CV of Ivan Petrov", "kind": "other",
              "url": "", "document_ref": "DMS-1", "question_code": _personal_question()},
        schema_version=1,
    )  # fmt: skip
    await store.append(stream, "dossier", NO_STREAM, [old])
    assert UPCASTERS.upcast("DocumentAttached", 1, old.data) == (2, {**old.data, "about": None})
    documents = _documents((await client.get(f"{path}/dossier", headers=kam)).json())
    assert (documents["d-old"]["title"], documents["d-old"]["about"]) == ("CV of Ivan Petrov", None)
