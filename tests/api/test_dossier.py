"""The dossier over HTTP: answers by type, revisions and retractions, gaps and staleness, documents, as-of,
template versions that never lose old answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from service.domain.actors import Role
from tests.api.test_accounts import open_account, unique
from tests.api.test_buying_center import add
from tests.support.problems import assert_refused
from tests.support.races import hand_over_after_first_load

TODAY = datetime.now(UTC).date()


async def setup(client: httpx.AsyncClient, auth) -> tuple[str, dict[str, str]]:
    kam = auth(unique("kam"), Role.MANAGER, "north")
    account = await open_account(client, kam)
    return f"/v1/accounts/{account['account_id']}", kam


def question(view: dict[str, Any], code: str) -> dict[str, Any]:
    return next(q for g in view["groups"] for q in g["questions"] if q["code"] == code)


async def test_answers_gaps_staleness_and_history(client: httpx.AsyncClient, auth) -> None:
    path, kam = await setup(client, auth)
    empty = (await client.get(f"{path}/dossier", headers=kam)).json()
    assert empty["completeness"] == 0.0
    assert empty["gaps"] == sum(len(g["questions"]) for g in empty["groups"])
    first = await client.post(
        f"{path}/dossier/answers",
        json={"question_code": "headcount", "value": 5200, "source": "annual report", "learned_on": "2026-11-01"},
        headers=kam,
    )
    assert first.status_code == 201, first.text
    await client.post(
        f"{path}/dossier/answers",
        json={
            "question_code": "headcount",
            "value": 5400,
            "source": "HR director",
            "learned_on": "2026-11-10",
            "confidence": "high",
        },
        headers=kam,
    )
    await client.post(
        f"{path}/dossier/answers",
        json={"question_code": "main_competitor", "value": "FilterCo", "learned_on": "2025-01-10"},
        headers=kam,
    )
    view = (await client.get(f"{path}/dossier", headers=kam)).json()
    headcount = question(view, "headcount")
    assert [(a["value"], a["confidence"], a["revisions"]) for a in headcount["answers"]] == [(5400, "high", 1)]
    assert question(view, "main_competitor")["stale"] is True
    assert headcount["stale"] is False
    assert view["stale"] == 1
    assert view["gaps"] == empty["gaps"] - 2
    company = next(g for g in view["groups"] if "headcount" in [q["code"] for q in g["questions"]])
    assert "headcount" not in company["gaps"]
    retracted = await client.post(
        f"{path}/dossier/answers/headcount/retract", json={"reason": "HR figure included contractors"}, headers=kam
    )
    assert retracted.status_code == 200
    after = (await client.get(f"{path}/dossier", headers=kam)).json()
    assert question(after, "headcount")["answered"] is False
    history = (await client.get(f"{path}/dossier/answers/headcount/history", headers=kam)).json()["history"]
    assert [(h["value"], h["retracted"]) for h in history] == [(5200, False), (5400, False), (5400, True)]
    as_of = await client.get(f"{path}/dossier", params={"as_of": history[1]["at"]}, headers=kam)
    assert [a["value"] for a in question(as_of.json(), "headcount")["answers"]] == [5200]


async def test_invalid_answers_are_problems_that_write_nothing(client: httpx.AsyncClient, auth, store) -> None:
    path, kam = await setup(client, auth)
    head = await store.head_position()
    cases = {
        "invalid-answer": {"question_code": "revenue", "value": {"amount": "a lot"}, "learned_on": "2026-11-01"},
        "unknown-question": {"question_code": "favourite_colour", "value": "red", "learned_on": "2026-11-01"},
        "member-not-in-buying-center": {
            "question_code": "decision_maker",
            "value": "ghost",
            "learned_on": "2026-11-01",
        },
        "about-required": {"question_code": "important_dates", "value": "birthday 1 May", "learned_on": "2026-11-01"},
        "date-in-future": {"question_code": "headcount", "value": 10, "learned_on": "2999-01-01"},
    }
    for code, body in cases.items():
        response = await client.post(f"{path}/dossier/answers", json=body, headers=kam)
        assert response.json()["type"] == f"/problems/{code}", (code, response.text)
    assert await store.head_position() == head


async def test_documents_attach_and_detach(client: httpx.AsyncClient, auth) -> None:
    path, kam = await setup(client, auth)
    attached = await client.post(
        f"{path}/dossier/documents",
        json={
            "title": "Annual report 2025",
            "kind": "report",
            "url": "https://example.com/r.pdf",
            "question_code": "revenue",
        },
        headers=kam,
    )
    assert attached.status_code == 201, attached.text
    document_id = attached.json()["document_id"]
    view = (await client.get(f"{path}/dossier", headers=kam)).json()
    assert [(d["document_id"], d["question_code"]) for d in view["documents"]] == [(document_id, "revenue")]
    nothing = await client.post(f"{path}/dossier/documents", json={"title": "x"}, headers=kam)
    assert nothing.json()["type"] == "/problems/document-reference-required"
    gone = await client.delete(f"{path}/dossier/documents/{document_id}", headers=kam)
    assert gone.status_code == 200
    assert (await client.get(f"{path}/dossier", headers=kam)).json()["documents"] == []


async def test_a_new_template_never_loses_old_answers(client: httpx.AsyncClient, auth) -> None:
    admin = auth("root", Role.ADMIN)
    path, kam = await setup(client, auth)
    await client.post(
        f"{path}/dossier/answers",
        json={"question_code": "seasonality", "value": "peaks in spring", "learned_on": "2026-11-01"},
        headers=kam,
    )
    settings = (await client.get("/v1/settings", headers=admin)).json()
    old = settings["template"]
    slimmer = {
        "groups": [
            {**g, "questions": [q for q in g["questions"] if q["code"] != "seasonality"]}
            for g in old["groups"]
            if any(q["code"] != "seasonality" for q in g["questions"])
        ]
    }
    published = await client.post("/v1/settings/dossier-templates", json=slimmer, headers=admin)
    assert published.status_code == 200, published.text
    try:
        view = (await client.get(f"{path}/dossier", headers=kam)).json()
        assert view["template_version"] == old["version"] + 1
        assert [a["question_code"] for a in view["archived"]] == ["seasonality"]
        refused = await client.post("/v1/settings/dossier-templates", json=slimmer, headers=kam)
        assert refused.status_code == 403
        # a question the template no longer asks takes no new document, as it takes no new answer
        document = {
            "title": "Seasonal plan",
            "kind": "other",
            "url": "https://docs.example/s",
            "question_code": "seasonality",
        }
        for route, body in (("answers", {"question_code": "seasonality", "value": "x", "learned_on": "2026-11-02"}),
                            ("documents", document)):  # fmt: skip
            late = await client.post(f"{path}/dossier/{route}", json=body, headers=kam)
            assert late.json()["type"] == "/problems/unknown-question", (route, late.text)
    finally:
        restored = await client.post("/v1/settings/dossier-templates", json={"groups": old["groups"]}, headers=admin)
        assert restored.status_code == 200


async def test_a_back_dated_answer_is_history_and_replaces_no_newer_one(client: httpx.AsyncClient, auth) -> None:
    """An interaction logged late taught an answer learnt 120 days ago; it replaced the one learnt today."""
    path, kam = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    today = {"question_code": "our_share", "value": 40, "learned_on": TODAY.isoformat(), "confidence": "high"}
    first = await client.post(f"{path}/dossier/answers", json=today, headers=kam)
    assert first.status_code == 201, first.text
    logged = await client.post(
        f"{path}/interactions",
        json={
            "kind": "call",
            "occurred_on": (TODAY - timedelta(days=120)).isoformat(),
            "participants": [member],
            "summary": "Late entry of an old call",
            "learned": {"answers": [{"question_code": "our_share", "value": 10}]},
        },
        headers=kam,
    )
    assert logged.status_code == 201, logged.text
    older = {"question_code": "our_share", "value": 20, "learned_on": (TODAY - timedelta(days=30)).isoformat()}
    direct = await client.post(f"{path}/dossier/answers", json=older, headers=kam)
    assert direct.status_code == 201, direct.text
    assert (direct.json()["answer"]["value"], direct.json()["answer"]["revisions"]) == (40, 2)
    view = (await client.get(f"{path}/dossier", headers=kam)).json()
    share = question(view, "our_share")
    assert [(a["value"], a["learned_on"], a["stale"]) for a in share["answers"]] == [(40, TODAY.isoformat(), False)]
    assert view["stale"] == 0
    history = (await client.get(f"{path}/dossier/answers/our_share/history", headers=kam)).json()
    assert ([h["value"] for h in history["history"]], history["in_force"]) == ([40, 10, 20], 0)
    as_of = await client.get(f"{path}/dossier", params={"as_of": history["history"][1]["at"]}, headers=kam)
    assert [a["value"] for a in question(as_of.json(), "our_share")["answers"]] == [40]
    retracted = await client.post(f"{path}/dossier/answers/our_share/retract", json={"reason": "misread"}, headers=kam)
    assert retracted.status_code == 200, retracted.text
    assert question((await client.get(f"{path}/dossier", headers=kam)).json(), "our_share")["answered"] is False
    history = (await client.get(f"{path}/dossier/answers/our_share/history", headers=kam)).json()
    assert ([(h["value"], h["retracted"]) for h in history["history"]][-1], history["in_force"]) == ((40, True), None)


async def test_a_malformed_document_url_is_a_problem_naming_it_that_writes_nothing(
    client: httpx.AsyncClient, auth, store
) -> None:
    """urlparse raised on "http://[::1" (an unclosed IPv6 bracket): the attachment answered 500."""
    path, kam = await setup(client, auth)
    before = await store.head_position()
    for url in ("http://[::1", "https://[fe80::1/x", "http://example.com\uff03@evil", "http://h:x", "mailto:k@x.ru"):
        refused = await client.post(
            f"{path}/dossier/documents", json={"title": "t", "url": url, "kind": "report"}, headers=kam
        )
        assert refused.status_code == 422, (url, refused.text)
        assert (refused.json()["type"], refused.json()["field"]) == ("/problems/invalid-url", "url"), url
    assert await store.head_position() == before


async def test_a_new_template_cannot_change_what_a_question_takes(client: httpx.AsyncClient, auth, store) -> None:
    """abc_class went from a choice to a number and its answer "A" stayed answered, a number that is a letter."""
    admin = auth("root", Role.ADMIN)
    path, kam = await setup(client, auth)
    answer = {"question_code": "abc_class", "value": "A", "learned_on": TODAY.isoformat()}
    assert (await client.post(f"{path}/dossier/answers", json=answer, headers=kam)).status_code == 201
    groups = (await client.get("/v1/settings", headers=admin)).json()["template"]["groups"]

    def changed(**fields: Any) -> dict[str, Any]:
        return {
            "groups": [
                {**g, "questions": [{**q, **fields} if q["code"] == "abc_class" else q for q in g["questions"]]}
                for g in groups
            ]
        }

    before = await store.head_position()
    for fields, field in (
        ({"answer_type": "number", "choices": []}, "answer_type"),
        ({"answer_type": "list"}, "answer_type"),
        ({"choices": ["B", "C"]}, "choices"),
        ({"personal": True}, "personal"),
    ):
        refused = await client.post("/v1/settings/dossier-templates", json=changed(**fields), headers=admin)
        assert refused.status_code == 422, (fields, refused.text)
        problem = refused.json()
        assert (problem["type"], problem["question"], problem["field"]) == (
            "/problems/question-redefined",
            "abc_class",
            field,
        )
    assert await store.head_position() == before
    abc = question((await client.get(f"{path}/dossier", headers=kam)).json(), "abc_class")
    assert (abc["answer_type"], [a["value"] for a in abc["answers"]]) == ("choice", ["A"])


async def test_a_hand_over_committed_while_an_answer_is_decided_makes_it_a_404_for_the_old_owner(
    client: httpx.AsyncClient, auth, store, monkeypatch
) -> None:
    """Visibility was judged on a look at the account before the command ran; a hand-over committed between the
    command's load and its append let the old owner write into an account no longer theirs."""
    path, kam = await setup(client, auth)
    account_id = path.rsplit("/", 1)[1]
    loads = hand_over_after_first_load(monkeypatch, client, account_id, kam)
    before = await store.read_stream(f"dossier-{path.rsplit('/', 1)[1]}")
    answer = {"question_code": "headcount", "value": 5000, "learned_on": "2026-11-01"}
    refused = await client.post(f"{path}/dossier/answers", json=answer, headers=kam)
    assert loads == [f"account-{account_id}"] * 2  # the race happened, and the command decided again
    assert refused.status_code == 404, refused.text
    assert refused.json()["type"] == "/problems/account-not-found"
    assert await store.read_stream(f"dossier-{path.rsplit('/', 1)[1]}") == before


async def test_an_answer_about_a_forgotten_person_is_a_gap_again(client: httpx.AsyncClient, auth) -> None:
    """Found by review: the question stayed answered, with a value nobody can read, and counted in completeness."""
    path, kam = await setup(client, auth)
    member_id = (await add(client, path, kam, roles=["decision_maker"]))["member"]["member_id"]
    empty = (await client.get(f"{path}/dossier", headers=kam)).json()
    answer = {"question_code": "leaders_interests", "value": "hunting", "about": member_id,
              "learned_on": TODAY.isoformat()}  # fmt: skip
    assert (await client.post(f"{path}/dossier/answers", json=answer, headers=kam)).status_code == 201
    assert (await client.get(f"{path}/dossier", headers=kam)).json()["completeness"] > empty["completeness"]
    forgot = await client.post(f"/v1/people/{member_id}/forget", headers=auth("root", Role.ADMIN))
    assert forgot.status_code == 200, forgot.text
    after = (await client.get(f"{path}/dossier", headers=kam)).json()
    interests = question(after, "leaders_interests")
    assert ([a["value"] for a in interests["answers"]], interests["answered"]) == ([None], False)
    assert (after["gaps"], after["completeness"]) == (empty["gaps"], empty["completeness"])


async def test_a_refused_answer_or_document_names_the_field_at_fault(client: httpx.AsyncClient, auth, store) -> None:
    """Found by review: invalid-answer, about-required, about-not-allowed, document-reference-required and a
    document's unknown-question named no field, where every other refusal of an input names its own."""
    path, kam = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    day = TODAY.isoformat()
    before = await store.head_position()
    refusals = [
        ("answers", {"question_code": "headcount", "value": "many", "learned_on": day}, "invalid-answer", "value"),
        ("answers", {"question_code": "leaders_interests", "value": "golf", "learned_on": day}, "about-required",
         "about"),
        ("answers", {"question_code": "headcount", "value": 5, "about": member, "learned_on": day},
         "about-not-allowed", "about"),
        ("documents", {"title": "Report"}, "document-reference-required", "url"),
        ("documents", {"title": "Report", "url": "https://example.com/r.pdf", "question_code": "nope"},
         "unknown-question", "question_code"),
    ]  # fmt: skip
    for route, body, problem, field in refusals:
        assert_refused(await client.post(f"{path}/dossier/{route}", json=body, headers=kam), problem, field)
    assert await store.head_position() == before


async def test_an_answer_shows_who_recorded_it(client: httpx.AsyncClient, auth) -> None:
    """DOMAIN.md section 2: an answer has a value, a source, the date it was learned, who recorded it, and
    confidence. Who recorded it was shown nowhere a manager reads (found by review)."""
    path, kam = await setup(client, auth)
    lead = unique("lead")
    supervisor = auth(lead, Role.SUPERVISOR, "north")
    answer = {"question_code": "headcount", "value": 5200, "learned_on": TODAY.isoformat()}
    recorded = await client.post(f"{path}/dossier/answers", json=answer, headers=kam)
    assert recorded.status_code == 201, recorded.text
    kam_sub = recorded.json()["answer"]["recorded_by"]
    revised = await client.post(f"{path}/dossier/answers", json={**answer, "value": 5400}, headers=supervisor)
    assert revised.status_code == 201, revised.text
    lead_sub = revised.json()["answer"]["recorded_by"]
    assert (kam_sub.startswith("kam-"), lead_sub) == (True, lead)
    headcount = question((await client.get(f"{path}/dossier", headers=kam)).json(), "headcount")
    assert [(a["value"], a["recorded_by"]) for a in headcount["answers"]] == [(5400, lead_sub)]
    retracted = await client.post(f"{path}/dossier/answers/headcount/retract", json={"reason": "x"}, headers=kam)
    assert retracted.status_code == 200, retracted.text
    history = (await client.get(f"{path}/dossier/answers/headcount/history", headers=kam)).json()["history"]
    assert [(h["value"], h["retracted"], h["recorded_by"]) for h in history] == [
        (5200, False, kam_sub),
        (5400, False, lead_sub),
        (5400, True, kam_sub),  # the retraction is the kam's
    ]


async def test_a_document_url_whose_host_is_no_host_name_is_refused(client: httpx.AsyncClient, auth, store) -> None:
    """Found by review: a host holding a space or a character no host name has ("http://exa mple.com") was kept
    as a URL; a name in another script, an IP address or a path that needs escaping still is one."""
    path, kam = await setup(client, auth)
    before = await store.head_position()
    for url in ("http://exa mple.com/r.pdf", "https://ex<am>ple.com/r.pdf", 'http://a"b.com/', "http://a{b}.com"):
        refused = await client.post(f"{path}/dossier/documents", json={"title": "t", "url": url}, headers=kam)
        assert refused.status_code == 422, (url, refused.text)
        assert (refused.json()["type"], refused.json()["field"]) == ("/problems/invalid-url", "url"), url
    assert await store.head_position() == before
    for url in ("https://кто.рф/отчёт.pdf", "http://[::1]:8080/r", "http://10.0.0.1/a b.pdf", "https://docs.example/x"):
        kept = await client.post(f"{path}/dossier/documents", json={"title": "t", "url": url}, headers=kam)
        assert kept.status_code == 201, (url, kept.text)


async def test_retracting_an_answer_judges_about_as_recording_one_does(client: httpx.AsyncClient, auth, store) -> None:
    """Found by review: retracting an answer to a question about a person without `about` was a 404 answer-not-found,
    where recording one is a 422 about-required naming the field; `about` on a question about no one likewise."""
    path, kam = await setup(client, auth)
    member = (await add(client, path, kam))["member"]["member_id"]
    day = TODAY.isoformat()
    for answer in (
        {"question_code": "leaders_interests", "value": "golf", "about": member, "learned_on": day},
        {"question_code": "headcount", "value": 5, "learned_on": day},
    ):
        assert (await client.post(f"{path}/dossier/answers", json=answer, headers=kam)).status_code == 201
    before = await store.head_position()
    for code, about, problem in (
        ("leaders_interests", None, "about-required"),
        ("headcount", member, "about-not-allowed"),
    ):
        retract = await client.post(
            f"{path}/dossier/answers/{code}/retract", json={"about": about, "reason": "misheard"}, headers=kam
        )
        assert_refused(retract, problem, "about")
    assert await store.head_position() == before
    retracted = await client.post(
        f"{path}/dossier/answers/leaders_interests/retract", json={"about": member, "reason": "misheard"}, headers=kam
    )
    assert retracted.status_code == 200, retracted.text


async def test_a_list_answer_holding_an_item_twice_is_refused_naming_it(client: httpx.AsyncClient, auth, store) -> None:
    """Found by review: ["Kama plant", "Kama plant"] was stored as given, and the dossier listed the plant twice.
    Items are compared as stored, trimmed; "kama plant" is another text, as a choice of another case is."""
    path, kam = await setup(client, auth)
    day = TODAY.isoformat()
    before = await store.head_position()
    for value, field in ((["A", "A"], "value.1"), (["Kama plant", "Izhevsk", " Kama plant\n"], "value.2")):
        answer = {"question_code": "sites", "value": value, "learned_on": day}
        refused = await client.post(f"{path}/dossier/answers", json=answer, headers=kam)
        assert_refused(refused, "duplicate-item", field)
        assert refused.json()["duplicates"] == [value[0]]
    assert await store.head_position() == before
    answer = {"question_code": "sites", "value": ["Kama plant", "kama plant"], "learned_on": day}
    assert (await client.post(f"{path}/dossier/answers", json=answer, headers=kam)).status_code == 201


async def test_a_money_answer_with_a_key_besides_amount_and_currency_is_refused_naming_it(
    client: httpx.AsyncClient, auth, store
) -> None:
    """Only the amount and the currency were kept: a misspelt `curency` beside a right one, or a `note`, was dropped
    unseen while the answer was recorded."""
    path, kam = await setup(client, auth)
    before = await store.head_position()
    for extra in ({"curency": "EUR"}, {"note": "before tax"}):
        value = {"amount": "42000000", "currency": "RUB", **extra}
        body = {"question_code": "revenue", "value": value, "learned_on": TODAY.isoformat()}
        refused = await client.post(f"{path}/dossier/answers", json=body, headers=kam)
        assert_refused(refused, "invalid-answer", f"value.{next(iter(extra))}")
    assert await store.head_position() == before
    fine = {"question_code": "revenue", "value": {"amount": "42000000", "currency": "RUB"}, "learned_on": "2026-11-01"}
    assert (await client.post(f"{path}/dossier/answers", json=fine, headers=kam)).status_code == 201
