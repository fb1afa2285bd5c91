"""Sales-project facts: which ones a project takes (members who left, leaders, problems' criteria, evidence,
amounts) and what they count for once taken."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from service.domain.errors import Conflict, DomainError, NotFound
from service.domain.opportunity import commands as c
from service.domain.opportunity import events as e
from service.domain.opportunity.criteria import DEFAULT_EXIT_CRITERIA, Stage, StageCriteria, unmet
from service.domain.opportunity.decide import decide
from service.domain.opportunity.evolve import evolve
from service.domain.opportunity.roster import Roster
from service.domain.opportunity.state import Evidence, EvidenceKind, Kind, Opportunity, Problem
from tests.support.opportunity_rules import KAM, MEMBERS, TODAY, V1, opened, run, unmet_codes


def code_of(state: Opportunity, command: object) -> str:
    with pytest.raises(DomainError) as refused:
        decide(state, command)  # type: ignore[arg-type]
    return refused.value.code


def test_a_problems_criteria_are_few_and_short_like_a_members() -> None:
    state = Opportunity(exists=True, opportunity_id="o1", account_id="a1", stage=Stage.ENTRY, criteria=V1)
    for criteria, code in ((("x" * 501,), "value-too-long"), (tuple(f"c{i}" for i in range(21)), "too-many-items")):
        problem = Problem(problem_id="p1", problem="Clogging", criteria=criteria)
        with pytest.raises(DomainError) as refused:
            decide(state, c.RecordProblem(actor=KAM, problem=problem, members=MEMBERS))
        assert (refused.value.code, refused.value.details["field"]) == (code, "criteria")


def test_a_member_who_has_left_can_be_named_in_no_new_fact() -> None:
    gone = frozenset({"ally", "boss"})
    state = Opportunity(exists=True, opportunity_id="o1", account_id="a1", stage=Stage.FINDING_ALLY, criteria=V1)
    problem = Problem(problem_id="p1", problem="Clogging", affected_member="ally", criteria=("failure-free",))
    for command in (
        c.LinkAlly(actor=KAM, member_id="ally", members=MEMBERS, left=gone),
        c.ConfirmNeed(actor=KAM, member_id="ally", need="x", on=TODAY, today=TODAY, members=MEMBERS, left=gone),
        c.RecordProblem(actor=KAM, problem=problem, members=MEMBERS, left=gone),
        c.ConfirmVolume(actor=KAM, volume="40k", member_id="boss", members=MEMBERS, left=gone),
        c.RecordLeaderConfirmation(
            actor=KAM, member_id="boss", note="yes", on=TODAY, today=TODAY, members=MEMBERS, left=gone
        ),
        c.ConfirmConfidentUse(
            actor=KAM, member_id="ally", note="ok", on=TODAY, today=TODAY, members=MEMBERS, left=gone
        ),
    ):
        assert code_of(state, command) == "member-has-left", command
    with pytest.raises(NotFound):  # a stranger is still a 404, not a 409
        decide(state, c.LinkAlly(actor=KAM, member_id="ghost", members=MEMBERS, left=gone))


def test_refining_a_problem_keeps_the_member_it_named_before_they_left() -> None:
    problem = Problem(problem_id="p1", problem="Clogging", affected_member="ally", criteria=("failure-free",))
    state = run(opened(Kind.CROSS_SELL), c.RecordProblem(actor=KAM, problem=problem, members=MEMBERS))
    gone = frozenset({"ally"})
    refined = Problem(problem_id="p1", problem="Clogging in winter", affected_member="ally", criteria=("cost",))
    state = run(state, c.RecordProblem(actor=KAM, problem=refined, refine=True, members=MEMBERS, left=gone))
    assert state.problems["p1"].problem == "Clogging in winter"
    other = Problem(problem_id="p2", problem="Price", affected_member="ally")
    assert code_of(state, c.RecordProblem(actor=KAM, problem=other, members=MEMBERS, left=gone)) == "member-has-left"


def test_exit_criteria_do_not_count_the_word_of_a_member_who_has_left() -> None:
    state = run(
        opened(Kind.CROSS_SELL),
        c.LinkAlly(actor=KAM, member_id="ally", members=MEMBERS),
        c.ConfirmNeed(actor=KAM, member_id="ally", need="no clogging", on=TODAY, today=TODAY, members=MEMBERS),
        c.RecordProblem(
            actor=KAM,
            problem=Problem(problem_id="p1", problem="Clogging", affected_member="ally", criteria=("failure-free",)),
            members=MEMBERS,
        ),
    )
    gone = frozenset({"ally"})
    with pytest.raises(DomainError) as refused:
        decide(state, c.AdvanceStage(actor=KAM, roster=Roster(left=gone)))
    assert [u["code"] for u in refused.value.details["unmet"]] == [
        "ally_linked",
        "need_confirmed_by_ally",
        "problem_with_member_and_criteria",
    ]
    assert state.allies == ("ally",)  # the facts stay, as history
    approval = Opportunity(exists=True, opportunity_id="o1", account_id="a1", stage=Stage.APPROVAL, criteria=V1)
    approval = run(
        approval,
        c.RecordLeaderConfirmation(actor=KAM, member_id="boss", note="yes", on=TODAY, today=TODAY, members=MEMBERS),
    )
    assert unmet_codes(approval) == ["launch_plan_both_sides"]
    with pytest.raises(DomainError) as leader_gone:
        decide(approval, c.AdvanceStage(actor=KAM, roster=Roster(left=frozenset({"boss"}))))
    assert [u["code"] for u in leader_gone.value.details["unmet"]] == ["leader_confirmation", "launch_plan_both_sides"]


def test_only_a_decision_maker_or_signer_confirms_as_the_leader_and_not_in_the_future() -> None:
    state = Opportunity(exists=True, opportunity_id="o1", account_id="a1", stage=Stage.APPROVAL, criteria=V1)
    members = {**MEMBERS, "signer": frozenset({"signer", "contracts"})}

    def leader(member: str, on: date = TODAY) -> c.RecordLeaderConfirmation:
        return c.RecordLeaderConfirmation(actor=KAM, member_id=member, note="go", on=on, today=TODAY, members=members)

    assert code_of(state, leader("ally")) == "member-not-leader"
    assert code_of(state, leader("boss", date(2999, 12, 31))) == "date-in-future"
    assert run(state, leader("signer")).leader_confirmation is not None
    assert run(state, leader("boss")).leader_confirmation is not None
    later = date(2026, 11, 24)
    use = c.ConfirmConfidentUse(actor=KAM, member_id="ally", note="ok", on=later, today=TODAY, members=members)
    assert code_of(state, use) == "date-in-future"


def test_a_problems_criteria_are_the_affected_members_sealed_beside_it_and_count_once_forgotten() -> None:
    problem = Problem(problem_id="p1", problem="Clogging", affected_member="ally", criteria=(" cost per truck ",))
    recorded = decide(opened(), c.RecordProblem(actor=KAM, problem=problem, members=MEMBERS))
    assert recorded == [e.ProblemRecorded(problem=Problem(problem_id="p1", problem="Clogging", affected_member="ally"),
                                          criteria=("cost per truck",))]  # fmt: skip
    assert recorded[0].personal() == {"criteria": "ally"}
    held = "problem_with_member_and_criteria"
    for event, criteria in (
        (recorded[0], ("cost per truck",)),
        (e.ProblemRecorded(problem=problem), (" cost per truck ",)),  # written before: in the problem, in clear
        (e.ProblemRecorded(problem=recorded[0].problem, criteria=None), None),  # read after the member is forgotten
    ):
        state = evolve(opened(), event)
        assert state.problems["p1"].criteria == criteria
        assert held not in [x.code for x in unmet(replace(state, stage=Stage.FINDING_ALLY))]
    assert held in [x.code for x in unmet(replace(opened(), stage=Stage.FINDING_ALLY))]


def test_evidence_added_twice_is_a_conflict_and_opening_with_unknown_criteria_names_them() -> None:
    evidence = Evidence(evidence_id="e1", kind=EvidenceKind.LAB_REPORT, title="Lab")
    state = run(opened(), c.AddEvidence(actor=KAM, evidence=evidence))
    with pytest.raises(Conflict) as twice:
        decide(state, c.AddEvidence(actor=KAM, evidence=evidence))
    assert (twice.value.code, twice.value.status) == ("evidence-exists", 409)
    bad = StageCriteria(version=1, exits={**DEFAULT_EXIT_CRITERIA, Stage.ENTRY: ("crystal_ball",)})
    with pytest.raises(DomainError) as unknown:
        opened(criteria=bad)
    assert (unknown.value.code, unknown.value.details) == ("unknown-criterion", {"unknown": ["crystal_ball"]})


def test_an_expected_value_must_be_a_sane_amount() -> None:
    with pytest.raises(DomainError) as huge:
        opened(value="1e400")
    assert (huge.value.code, huge.value.details) == ("out-of-range", {"field": "expected_value.amount"})
