"""A dossier answer about a person, or naming one, once that person has left the client: kept and readable, but no
longer what the dossier knows of the client now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import unique
from tests.api.test_buying_center import add
from tests.support.opportunities import TODAY, log, setup
from tests.support.problems import assert_refused


def question(dossier: dict[str, Any], code: str) -> dict[str, Any]:
    return next(q for g in dossier["groups"] for q in g["questions"] if q["code"] == code)


async def test_answers_about_a_person_who_left_leave_gaps_and_are_never_stale(client: httpx.AsyncClient, auth) -> None:
    """The decision maker named in the dossier retired, and the dossier still counted the question answered (its
    completeness, the supervisor's portfolio too), and a leader's hobbies learnt years ago about them stayed stale
    for ever, keeping the account in the portfolio's `at_risk` with nothing the manager could re-confirm."""
    path, kam, team, account = await setup(client, auth)
    boss = auth(unique("sup"), Role.SUPERVISOR, team)
    dm = (await add(client, path, kam, roles=["decision_maker"], influence=5))["member"]["member_id"]
    for body in (
        {"question_code": "decision_maker", "value": dm, "learned_on": TODAY.isoformat()},
        {"question_code": "leaders_interests", "about": dm, "value": "chess", "learned_on": "2020-01-01"},
    ):
        recorded = await client.post(f"{path}/dossier/answers", json=body, headers=kam)
        assert recorded.status_code == 201, recorded.text
    before = (await client.get(f"{path}/dossier", headers=kam)).json()
    assert (question(before, "decision_maker")["answered"], question(before, "leaders_interests")["stale"]) == (
        True,
        True,
    )
    still_there = datetime.now(UTC).isoformat()
    member = f"{path}/buying-center/members/{dm}"
    left = await client.post(f"{member}/left", json={"on": TODAY.isoformat(), "reason": "retired"}, headers=kam)
    assert left.status_code == 200, left.text

    now = (await client.get(f"{path}/dossier", headers=kam)).json()
    for code in ("decision_maker", "leaders_interests"):
        q = question(now, code)
        assert (q["answered"], q["stale"]) == (False, False), code
        assert [(a["stale"], a["left_the_client"]) for a in q["answers"]] == [(False, True)]  # kept, shown
    assert now["stale"] == 0
    assert now["gaps"] == before["gaps"] + 2  # who decides, and the leaders' interests
    assert now["completeness"] < before["completeness"]
    assert "decision_maker" in next(g for g in now["groups"] if g["code"] == "decision")["gaps"]

    then = (await client.get(f"{path}/dossier", params={"as_of": still_there}, headers=kam)).json()
    assert (then["completeness"], then["stale"]) == (before["completeness"], 1)

    portfolio = await client.get("/v1/portfolio", params={"min_position": left.json()["position"]}, headers=boss)
    [signal] = [
        a for m in portfolio.json()["managers"] for a in m["accounts"] if a["account_id"] == account["account_id"]
    ]
    assert (signal["stale_answers"], signal["dossier_completeness"]) == (0, now["completeness"])

    back = await client.post(f"{member}/returned", json={"reason": "came back as a consultant"}, headers=kam)
    assert back.status_code == 200, back.text
    again = (await client.get(f"{path}/dossier", headers=kam)).json()
    assert (again["completeness"], again["stale"]) == (before["completeness"], 1)


async def test_no_new_answer_is_about_or_names_a_person_who_has_left(client: httpx.AsyncClient, auth, store) -> None:
    """Found by review: an answer naming the retired decision maker, or about them, was taken (201) and read at once
    as a gap (`left_the_client`), as project facts naming a leaver are not (409 `member-has-left`). Given here or
    learnt in an interaction, it is refused and writes nothing; the earlier answer may still be retracted, and once
    the person is back they are answered about again."""
    path, kam, _, _ = await setup(client, auth)
    dm = (await add(client, path, kam, roles=["decision_maker"], influence=5))["member"]["member_id"]
    about = {"question_code": "leaders_interests", "about": dm, "value": "chess", "learned_on": TODAY.isoformat()}
    assert (await client.post(f"{path}/dossier/answers", json=about, headers=kam)).status_code == 201
    member = f"{path}/buying-center/members/{dm}"
    left = await client.post(f"{member}/left", json={"on": TODAY.isoformat(), "reason": "retired"}, headers=kam)
    assert left.status_code == 200, left.text

    before = await store.head_position()
    names = {"question_code": "decision_maker", "value": dm, "learned_on": TODAY.isoformat()}
    for body, field in ((names, "value"), ({**about, "value": "golf"}, "about")):
        refused = await client.post(f"{path}/dossier/answers", json=body, headers=kam)
        assert_refused(refused, "member-has-left", field, 409)
        assert refused.json()["member"] == dm
    learned = {"answers": [{"question_code": "leaders_interests", "about": dm, "value": "golf"}]}
    taught = await log(client, path, kam, learned=learned)
    assert_refused(taught, "member-has-left", "about", 409)
    assert await store.head_position() == before

    retracted = await client.post(
        f"{path}/dossier/answers/leaders_interests/retract", json={"about": dm, "reason": "he left"}, headers=kam
    )
    assert retracted.status_code == 200, retracted.text
    back = await client.post(f"{member}/returned", json={"reason": "came back as a consultant"}, headers=kam)
    assert back.status_code == 200, back.text
    for body in (names, about):
        assert (await client.post(f"{path}/dossier/answers", json=body, headers=kam)).status_code == 201
