"""The buying center's rules, its members' history, and the coverage risks of a hand-built map."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import reduce

import pytest

from service.domain.account.state import Lifecycle
from service.domain.actors import Actor, Role
from service.domain.buying_center import commands as cmd
from service.domain.buying_center.decide import decide
from service.domain.buying_center.events import MemberAssessed
from service.domain.buying_center.evolve import evolve, initial_state
from service.domain.buying_center.risks import coverage_risks
from service.domain.buying_center.state import BuyingCenter, Citation, CitationKind, Member, MemberProblem, RelationKind
from service.domain.errors import Conflict, DomainError, NotFound
from service.domain.settings.defaults import default_settings

KAM = Actor("kam", Role.MANAGER, "north")
SETTINGS = default_settings()
ROLES = SETTINGS.role_codes
TODAY = date(2026, 11, 23)


def run(state: BuyingCenter, *commands: object) -> BuyingCenter:
    for command in commands:
        state = reduce(lambda s, e: evolve(s, e, datetime(2026, 1, 1)), decide(state, command), state)  # type: ignore[arg-type]
    return state


def add(member_id: str, **fields: object) -> cmd.AddMember:
    return cmd.AddMember(
        actor=KAM,
        account_id="a1",
        member_id=member_id,
        name=f"Person {member_id}",
        known_roles=ROLES,
        retired_roles=frozenset(),
        **fields,
    )


def test_unknown_roles_and_out_of_range_scores_are_refused_by_name() -> None:
    with pytest.raises(DomainError) as unknown:
        decide(initial_state(), add("m1", roles=frozenset({"ally", "wizard"})))
    assert (unknown.value.code, unknown.value.details["unknown"]) == ("unknown-role", ["wizard"])
    with pytest.raises(DomainError) as influence:
        decide(initial_state(), add("m1", influence=6))
    assert influence.value.code == "out-of-range"
    with pytest.raises(DomainError) as empty:
        decide(
            initial_state(),
            cmd.AddMember(
                actor=KAM, account_id="a1", member_id="m1", name=" ", known_roles=ROLES, retired_roles=frozenset()
            ),
        )
    assert empty.value.code == "missing-value"


def test_links_need_both_members_and_are_not_duplicated() -> None:
    state = run(initial_state(), add("m1"), add("m2"))
    with pytest.raises(NotFound) as missing:
        decide(
            state,
            cmd.LinkMembers(
                actor=KAM, relationship_id="r1", source="m1", target="nobody", kind=RelationKind.INFLUENCES
            ),
        )
    assert missing.value.code == "member-not-in-buying-center"
    with pytest.raises(DomainError) as itself:
        decide(
            state,
            cmd.LinkMembers(actor=KAM, relationship_id="r1", source="m1", target="m1", kind=RelationKind.INFLUENCES),
        )
    assert itself.value.code == "self-relationship"
    linked = run(
        state, cmd.LinkMembers(actor=KAM, relationship_id="r1", source="m1", target="m2", kind=RelationKind.REPORTS_TO)
    )
    with pytest.raises(Conflict) as twice:
        decide(
            linked,
            cmd.LinkMembers(actor=KAM, relationship_id="r2", source="m1", target="m2", kind=RelationKind.REPORTS_TO),
        )
    assert twice.value.code == "relationship-exists"
    assert linked.links["r1"].kind.formal


def link(relationship_id: str, source: str, target: str, kind: RelationKind) -> cmd.LinkMembers:
    return cmd.LinkMembers(actor=KAM, relationship_id=relationship_id, source=source, target=target, kind=kind)


def test_the_org_chart_takes_no_cycle_however_long() -> None:
    """Found by review: A reported to B and B to A, or A to B to C to A, and the map drew it."""
    state = run(initial_state(), add("a"), add("b"), add("c"), add("d"))
    state = run(state, link("r1", "a", "b", RelationKind.REPORTS_TO), link("r2", "b", "c", RelationKind.REPORTS_TO))
    for source, target, cycle in (("b", "a", ["b", "a", "b"]), ("c", "a", ["c", "a", "b", "c"])):
        with pytest.raises(DomainError) as refused:
            decide(state, link("r9", source, target, RelationKind.REPORTS_TO))
        assert (refused.value.code, refused.value.details["members"]) == ("reports-to-cycle", cycle)
    assert decide(state, link("r3", "d", "a", RelationKind.REPORTS_TO))  # a longer chain, no cycle
    assert decide(state, link("r3", "c", "a", RelationKind.INFLUENCES))  # only the formal chart is a tree


def test_a_symmetric_link_is_one_link_and_allies_are_not_rivals() -> None:
    """Found by review: A allied with B took B allied with A too, and B rival of A beside it."""
    state = run(initial_state(), add("a"), add("b"), link("r1", "a", "b", RelationKind.ALLIED_WITH))
    with pytest.raises(Conflict) as reverse:
        decide(state, link("r2", "b", "a", RelationKind.ALLIED_WITH))
    assert (reverse.value.code, reverse.value.details["relationship_id"]) == ("relationship-exists", "r1")
    for source, target in (("b", "a"), ("a", "b")):
        with pytest.raises(Conflict) as contradiction:
            decide(state, link("r2", source, target, RelationKind.RIVAL_OF))
        assert contradiction.value.code == "contradictory-relationship"
    assert decide(state, link("r2", "b", "a", RelationKind.INFLUENCES))  # influence runs one way


def test_the_history_shows_how_and_why_the_view_of_a_person_changed() -> None:
    why = Citation(kind=CitationKind.INTERACTION, ref="meeting-7", note="backed our trial in the tech council")
    state = run(
        initial_state(),
        add("m1", roles=frozenset({"user"}), attitude=0),
        cmd.AssessMember(
            actor=KAM,
            member_id="m1",
            attitude=2,
            roles=frozenset({"user", "ally"}),
            citation=why,
            known_roles=ROLES,
            retired_roles=frozenset(),
        ),
    )
    history = state.people["m1"].history
    assert [h.event for h in history] == ["MemberAdded", "MemberAssessed"]
    assert history[1].changes == {"roles": [frozenset({"user"}), frozenset({"user", "ally"})], "attitude": [0, 2]}
    assert history[1].citation == why
    unchanged = decide(
        state, cmd.AssessMember(actor=KAM, member_id="m1", attitude=2, known_roles=ROLES, retired_roles=frozenset())
    )
    assert unchanged == []


def assessed(citation: Citation) -> MemberAssessed:
    return MemberAssessed(
        member_id="m1", roles=frozenset(), influence=3, attitude=0, attitude_to_competitor=0, citation=citation
    )


def test_a_citation_is_personal_by_its_note_or_by_a_ref_that_is_more_than_one_of_our_interactions() -> None:
    """Found by review: a ref (free text, "interaction id, document id or URL") was kept in clear when the citation
    had no note, so the URL of someone's private profile outlived their forgetting."""
    interaction = "0b6f8e3c-8d1a-4c1e-9a7e-2f0d5c4b3a21"

    def sealed(citation: Citation) -> dict[str, str]:
        return assessed(citation).personal()

    assert sealed(Citation(kind=CitationKind.DOCUMENT, ref="https://vk.com/ivan")) == {"citation": "m1"}
    assert sealed(Citation(kind=CitationKind.OBSERVATION, ref="his blog")) == {"citation": "m1"}
    assert sealed(Citation(kind=CitationKind.INTERACTION, ref="lunch with Ivan")) == {"citation": "m1"}
    assert sealed(Citation(kind=CitationKind.INTERACTION, ref=interaction.upper())) == {"citation": "m1"}
    assert sealed(Citation(kind=CitationKind.INTERACTION, ref=interaction, note="he said so")) == {"citation": "m1"}
    assert sealed(Citation(kind=CitationKind.INTERACTION, ref=interaction)) == {}  # ours: an anonymous node may take it
    assert sealed(Citation(kind=CitationKind.OBSERVATION)) == {}


def test_a_member_who_left_stays_with_history_but_takes_no_new_assessment_criteria_problems_or_links() -> None:
    state = run(
        initial_state(),
        add("m1"),
        cmd.MarkMemberLeft(actor=KAM, member_id="m1", on=date(2026, 6, 1), reason="moved to a competitor"),
    )
    member = state.people["m1"]
    assert (member.active, member.left_on, member.history[-1].event) == (False, date(2026, 6, 1), "MemberLeft")
    state = run(state, add("m2"))
    # what we learn of someone is assessment too: their criteria, their problems, their links to others
    for command in (
        cmd.AssessMember(actor=KAM, member_id="m1", attitude=1, known_roles=ROLES, retired_roles=frozenset()),
        cmd.RecordCriteria(actor=KAM, member_id="m1", stated=("price",), observed=()),
        cmd.RecordProblems(actor=KAM, member_id="m1", problems=(MemberProblem(problem="Clogging"),)),
        cmd.LinkMembers(actor=KAM, relationship_id="r1", source="m2", target="m1", kind=RelationKind.INFLUENCES),
        cmd.LinkMembers(actor=KAM, relationship_id="r1", source="m1", target="m2", kind=RelationKind.REPORTS_TO),
    ):
        with pytest.raises(Conflict) as gone:
            decide(state, command)
        assert gone.value.code == "member-has-left", command
    # the contacts we had with them before they left may still be recorded, and none from the day they left on
    assert decide(state, cmd.RecordContact(actor=KAM, member_id="m1", on=date(2026, 5, 20), today=TODAY))
    for day in (date(2026, 6, 1), date(2026, 6, 2)):  # found by review: a contact after they left was taken
        with pytest.raises(Conflict) as late:
            decide(state, cmd.RecordContact(actor=KAM, member_id="m1", on=day, today=TODAY))
        assert late.value.code == "member-has-left"
        # one an interaction logged that day records is kept, and counts as no contact while they are gone
        logged = run(state, cmd.RecordContact(actor=KAM, member_id="m1", on=day, today=TODAY, interaction_id="i1"))
        assert (logged.people["m1"].touchpoints, logged.people["m1"].last_contact) == ({"i1": day}, None)


def test_why_a_person_is_back_stands_until_they_leave_again_and_stays_in_the_history() -> None:
    # given a member who left and came back
    left = cmd.MarkMemberLeft(actor=KAM, member_id="m1", on=date(2026, 6, 1), reason="moved to a competitor")
    state = run(initial_state(), add("m1"), left)
    state = run(state, cmd.MarkMemberReturned(actor=KAM, member_id="m1", reason="back as head of purchasing"))
    member = state.people["m1"]
    assert (member.active, member.left_reason, member.returned_reason) == (True, "", "back as head of purchasing")
    # when they leave again
    again = cmd.MarkMemberLeft(actor=KAM, member_id="m1", on=date(2026, 9, 1), reason="retired")
    member = run(state, again).people["m1"]
    # then the leaving's reason stands, and each step of the history says why it happened
    assert (member.left_reason, member.returned_reason) == ("retired", "")
    assert [(h.event, h.changes.get("left_reason"), h.changes.get("returned_reason")) for h in member.history[1:]] == [
        ("MemberLeft", ["", "moved to a competitor"], None),
        ("MemberReturned", ["moved to a competitor", ""], ["", "back as head of purchasing"]),
        ("MemberLeft", ["", "retired"], ["back as head of purchasing", ""]),
    ]


def test_contacts_in_the_future_are_refused_and_the_last_contact_only_moves_forward() -> None:
    state = run(initial_state(), add("m1"))
    with pytest.raises(DomainError) as future:
        decide(state, cmd.RecordContact(actor=KAM, member_id="m1", on=date(2026, 12, 1), today=TODAY))
    assert future.value.code == "date-in-future"
    state = run(
        state,
        cmd.RecordContact(actor=KAM, member_id="m1", on=date(2026, 10, 1), today=TODAY),
        cmd.RecordContact(actor=KAM, member_id="m1", on=date(2026, 9, 1), today=TODAY),
    )
    assert state.people["m1"].last_contact == date(2026, 10, 1)


def test_the_last_contact_is_the_latest_on_a_day_the_member_was_the_clients_by_their_absences_as_known() -> None:
    # given contacts on Sep 1 and Oct 1
    contacts = [cmd.RecordContact(actor=KAM, member_id="m1", on=date(2026, m, 1), today=TODAY) for m in (9, 10)]
    state = run(initial_state(), add("m1"), *contacts)
    # when a leaving dated Sep 15 is recorded, then a return: the contact of Oct 1 counts only if they were back
    gone = run(state, cmd.MarkMemberLeft(actor=KAM, member_id="m1", on=date(2026, 9, 15), reason=""))
    late, early = (
        run(gone, cmd.MarkMemberReturned(actor=KAM, member_id="m1", reason="", on=on, today=TODAY)).people["m1"]
        for on in (date(2026, 10, 5), date(2026, 9, 20))
    )
    # then the last contact falls back while Oct 1 is in the absence, and the contacts themselves are kept
    assert (gone.people["m1"].last_contact, late.last_contact, early.last_contact) == (
        date(2026, 9, 1),
        date(2026, 9, 1),
        date(2026, 10, 1),
    )
    assert sorted((late.touchpoints or {}).values()) == [date(2026, 9, 1), date(2026, 10, 1)]


def member(member_id: str, **fields: object) -> Member:
    return Member(member_id=member_id, name=member_id, **fields)  # type: ignore[arg-type]


def risks_of(*members: Member, lifecycle: Lifecycle = Lifecycle.SERIAL_SUPPLY) -> dict[str, tuple[str, ...]]:
    state = BuyingCenter(account_id="a1", members={m.member_id: m for m in members})
    return {
        r.code if r.code != "role-missing" else f"role-missing:{r.role}": r.members
        for r in coverage_risks(state, SETTINGS.roles, SETTINGS.coverage, TODAY, lifecycle=lifecycle)
    }


def test_risks_of_a_hand_built_map() -> None:
    found = risks_of(
        member(
            "ally",
            roles=frozenset({"ally", "user", "initiator"}),
            attitude=2,
            last_contact=date(2026, 11, 1),
            owner="kam",
        ),
        member("boss", roles=frozenset({"decision_maker"}), influence=5, attitude=0),
        member("buyer", roles=frozenset({"procurement"}), influence=4, attitude=-2, last_contact=date(2026, 5, 1)),
        member("gone", roles=frozenset({"signer"}), last_contact=date(2026, 11, 20), active=False),
    )
    assert found == {
        "single-threaded": ("ally",),  # the buyer's contact has gone cold: the ally is the one thread
        "no-decision-maker-contact": ("boss",),
        "high-influence-opponent": ("buyer",),
        "decision-maker-without-owner": ("boss",),
        "stale-contact": ("buyer",),
    }


def test_an_influential_member_in_the_opponent_role_is_a_risk_whatever_their_attitude_reads() -> None:
    """Only an attitude of -1 or less counted: someone mapped as an opponent (served better by the competitor) with
    an attitude not yet assessed, or one kept polite, was no risk however much they weighed."""
    found = risks_of(
        member("dept", roles=frozenset({"opponent"}), influence=5, attitude=0, last_contact=TODAY, owner="kam"),
        member("minor", roles=frozenset({"opponent"}), influence=2, attitude=0, last_contact=TODAY, owner="kam"),
    )
    assert found["high-influence-opponent"] == ("dept",)


def test_one_active_contact_is_single_threaded_and_required_roles_must_be_held() -> None:
    found = risks_of(
        member("only", roles=frozenset({"decision_maker", "user", "initiator"}), last_contact=TODAY, owner="kam")
    )
    assert found["single-threaded"] == ("only",)
    assert {k for k in found if k.startswith("role-missing")} == {
        f"role-missing:{r.code}"
        for r in SETTINGS.roles
        if r.required and r.code not in {"decision_maker", "user", "initiator"}
    }
    assert "no-decision-maker-contact" not in found
    assert "decision-maker-without-owner" not in found


def test_an_account_nobody_at_the_client_talks_to_is_single_threaded_with_no_thread_at_all() -> None:
    """Found by review: the risk went when the only contact left, and an empty map never showed it."""
    assert risks_of()["single-threaded"] == ()
    found = risks_of(
        member("gone", roles=frozenset({"ally"}), last_contact=TODAY, active=False),
        member("silent", roles=frozenset({"user"})),
    )
    assert found["single-threaded"] == ()


def test_a_contact_gone_cold_is_no_second_thread() -> None:
    """Found by review: anyone ever contacted counted. A contact is a thread until it is stale (the threshold of
    the stale-contact risk), and on its last day it still is."""
    fresh = TODAY - timedelta(days=SETTINGS.coverage.stale_contact_days)
    cold = fresh - timedelta(days=1)
    found = risks_of(member("warm", last_contact=TODAY), member("cold", last_contact=cold))
    assert (found["single-threaded"], found["stale-contact"]) == (("warm",), ("cold",))
    assert "single-threaded" not in risks_of(member("warm", last_contact=TODAY), member("cool", last_contact=fresh))


def test_a_well_covered_map_shows_no_risk() -> None:
    required = {r.code for r in SETTINGS.roles if r.required}
    found = risks_of(
        member("a", roles=frozenset(required), last_contact=TODAY, owner="kam", attitude=1),
        member("b", roles=frozenset({"ally"}), last_contact=TODAY, owner="kam", attitude=2),
    )
    assert found == {}


def test_the_contact_plan_and_next_action_of_someone_who_left_can_be_cleared_but_not_set() -> None:
    """Found by review: clearing was refused as member-has-left, so a plan to call them and a next action with them
    stayed in the map and in BI for good."""
    state = run(
        initial_state(),
        add("m1"),
        cmd.AssignContactOwner(actor=KAM, member_id="m1", owner="kam", contact_plan="call monthly"),
        cmd.SetNextAction(actor=KAM, member_id="m1", what="send the lab report", due=date(2026, 7, 1)),
        cmd.MarkMemberLeft(actor=KAM, member_id="m1", on=date(2026, 6, 1), reason="moved to a competitor"),
    )
    for command in (
        cmd.AssignContactOwner(actor=KAM, member_id="m1", owner="kam", contact_plan="call weekly"),
        cmd.SetNextAction(actor=KAM, member_id="m1", what="visit", due=date(2026, 7, 2)),
    ):
        with pytest.raises(Conflict) as gone:
            decide(state, command)
        assert gone.value.code == "member-has-left", command
    state = run(
        state,
        cmd.AssignContactOwner(actor=KAM, member_id="m1", owner=None, contact_plan=""),
        cmd.SetNextAction(actor=KAM, member_id="m1", what="", due=None),
    )
    member = state.people["m1"]
    assert (member.owner, member.contact_plan, member.next_action, member.active) == (None, "", None, False)
    cleared_again = cmd.SetNextAction(actor=KAM, member_id="m1", what="", due=None)
    assert decide(state, cleared_again) == []  # nothing left to clear: nothing written
