"""Who may confirm a planning session now (plan.view.confirmation), checked against what `decide` answers the other
party: a view that offers a confirmation must not be refused, and one that refuses must name decide's problem."""

from __future__ import annotations

import pytest

from service.domain import codec
from service.domain.actors import Actor, Role
from service.domain.errors import Conflict
from service.domain.plan import commands as c
from service.domain.plan.content import ItemType
from service.domain.plan.decide import decide
from service.domain.plan.state import ItemChange, Plan
from service.domain.plan.view import confirmation
from tests.domain.test_plan_rules import BOSS, KAM, PARTIES, goal, put, run, session, started

HEIR = c.Parties(owner="heir", team="north")  # handed over within the team
ELSEWHERE = c.Parties(owner="kam2", team="south")  # handed over to another team
KAM2 = Actor("kam2", Role.MANAGER, "south")


def agrees(plan: Plan, parties: c.Parties, confirmer: Actor, refused: str | None, decided: str | None = None) -> None:
    """The view's answer for session "s", and decide's to `confirmer`, the other party, are the same: `decided` when
    decide checks another refusal first, where the view names the lasting one."""
    may = confirmation(plan, plan.sessions["s"], parties)
    command = c.ConfirmSession(actor=confirmer, parties=parties, session_id="s")
    if refused is None:
        assert decide(plan, command)
        assert (may.by, may.refused) == ("supervisor" if confirmer is BOSS else "manager", None)
        return
    with pytest.raises(Conflict) as problem:
        decide(plan, command)
    assert (may.by, may.refused, problem.value.code) == (None, refused, decided or refused)


def in_force() -> Plan:
    plan = run(started(), put(ItemType.GOAL, goal()), c.ProposeRevision(actor=KAM, parties=PARTIES))
    return run(plan, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1))


CHANGE = ItemChange(op="put", item_type="goal", item_id="g1", item=codec.to_dict(goal(target="10")))


def test_a_managers_session_is_the_supervisors_to_confirm_while_its_recorder_is_a_party() -> None:
    plan = run(in_force(), session(KAM, "Lower the volume", CHANGE))
    agrees(plan, PARTIES, BOSS, None)
    agrees(plan, HEIR, BOSS, "session-recorder-not-a-party")  # not final: handing it back makes it confirmable
    pending = run(plan, put(ItemType.GOAL, goal(target="20")), c.ProposeRevision(actor=KAM, parties=PARTIES))
    agrees(pending, PARTIES, BOSS, "revision-pending")
    succeeded = run(plan, c.StartSuccessor(actor=KAM, parties=PARTIES, plan_id="p2"))
    agrees(succeeded, PARTIES, BOSS, "successor-pending")
    outdated = run(pending, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=2))
    agrees(outdated, PARTIES, BOSS, "session-outdated")
    agrees(outdated, HEIR, BOSS, "session-outdated", "session-recorder-not-a-party")  # handing back would not do
    confirmed = run(plan, c.ConfirmSession(actor=BOSS, parties=PARTIES, session_id="s"))
    agrees(confirmed, PARTIES, BOSS, "session-confirmed")


def test_a_supervisors_session_is_the_managers_to_confirm_while_the_account_is_in_the_team() -> None:
    plan = run(in_force(), session(BOSS, "Lower the volume", CHANGE))
    agrees(plan, PARTIES, KAM, None)
    agrees(plan, HEIR, Actor("heir", Role.MANAGER, "north"), None)  # the team's supervisor is still a party
    agrees(plan, ELSEWHERE, KAM2, "session-recorder-not-a-party")
