"""Joint planning: who may do what, the revision cycle, sessions, the diff of every kind of change, progress."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from service.domain import codec
from service.domain.actors import Actor, Role
from service.domain.errors import Conflict, DomainError, NotAllowed
from service.domain.plan import commands as c
from service.domain.plan import register as r
from service.domain.plan.content import Action, Goal, GoalKind, ItemType, Note, PlanContent, Strategy, diff
from service.domain.plan.decide import decide, take_over
from service.domain.plan.events import PlanningSessionConfirmedUnchanged, PredecessorProgressCarried
from service.domain.plan.evolve import evolve, initial_state
from service.domain.plan.state import ActionStatus, CommentClosed, ItemChange, Plan, RevisionStatus
from service.domain.plan.view import action_state, goal_status, period_plan

KAM = Actor("kam", Role.MANAGER, "north")
BOSS = Actor("boss", Role.SUPERVISOR, "north")
OTHER_BOSS = Actor("south", Role.SUPERVISOR, "south")
PARTIES = c.Parties(owner="kam", team="north")
TODAY = date(2026, 11, 23)


def run(state: Plan, *commands: object) -> Plan:
    for command in commands:
        for event in decide(state, command):  # type: ignore[arg-type]
            state = evolve(state, event, datetime(2026, 11, 1))
    return state


def started() -> Plan:
    return run(
        initial_state(),
        c.StartPlan(
            actor=KAM,
            parties=PARTIES,
            plan_id="p1",
            account_id="a1",
            title="Valves 2026–2028",
            horizon_from=2026,
            horizon_to=2028,
        ),
    )


def goal(item_id: str = "g1", target: str = "24000000", period: str = "2026") -> Goal:
    return Goal(
        item_id=item_id, period=period, kind=GoalKind.VOLUME, description="Volume", target=Decimal(target), unit="RUB"
    )


def action(item_id: str = "a1", cost: str = "300000", period: str = "2026", due: str = "2026-06-30") -> Action:
    return Action(
        item_id=item_id, period=period, what="Regional stock", owner="kam", due=due, cost=Decimal(cost), currency="RUB"
    )


def put(item_type: ItemType, item: object, actor: Actor = KAM) -> c.PutItem:
    return c.PutItem(actor=actor, parties=PARTIES, item_type=item_type, item=item)  # type: ignore[arg-type]


def session(by: Actor, decision: str, *changes: ItemChange) -> c.RecordSession:
    """A planning session on 2026-11-20 of both parties, recorded by `by`, that decided `changes`."""
    return c.RecordSession(
        actor=by,
        parties=PARTIES,
        session_id="s",
        on=date(2026, 11, 20),
        today=TODAY,
        participants=(),
        our_participants=("kam", "boss"),
        decisions=(decision,),
        changes=changes,
        members=frozenset(),
    )


def test_an_actions_due_date_falls_in_its_period_so_quarters_add_up_to_the_year() -> None:
    plan = started()
    for item in (
        action(period="2027", due="2028-02-01"),
        action(period="2027", due="2026-12-31"),
        action(period="2027-Q1", due="2027-04-01"),
        action(period="2027-Q4", due="2035-12-31"),
    ):
        with pytest.raises(DomainError) as refused:
            decide(plan, put(ItemType.ACTION, item))
        assert (refused.value.code, refused.value.details) == (
            "due-outside-period",
            {"field": "due", "period": item.period},
        )
    plan = run(
        plan,
        put(ItemType.ACTION, action("a1", period="2027", due="2027-12-31")),
        put(ItemType.ACTION, action("a2", period="2027-Q1", due="2027-01-01")),
        put(ItemType.ACTION, action("a3", period="2027-Q4", due="2027-10-01")),
    )
    content = plan.draft
    year = period_plan(plan, content, "2027", TODAY).budget
    quarters = [period_plan(plan, content, f"2027-Q{q}", TODAY).budget.get("RUB", Decimal(0)) for q in range(1, 5)]
    assert year == {"RUB": sum(quarters)} == {"RUB": Decimal("900000")}


def test_the_full_review_cycle() -> None:
    plan = run(started(), put(ItemType.GOAL, goal()), put(ItemType.ACTION, action()))
    plan = run(plan, c.ProposeRevision(actor=KAM, parties=PARTIES, note="first draft"))
    assert plan.pending is not None
    assert plan.in_force is None
    plan = run(
        plan,
        c.CommentOnRevision(actor=BOSS, parties=PARTIES, comment_id="k1", revision=1, item_id="g1", text="Too timid"),
        c.RequestChanges(actor=BOSS, parties=PARTIES, revision=1, note="Raise the volume"),
        c.AnswerComment(actor=KAM, parties=PARTIES, comment_id="k1", text="Raised to 26M"),
        put(ItemType.GOAL, goal(target="26000000")),
        c.ProposeRevision(actor=KAM, parties=PARTIES, note="raised"),
        c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=2),
    )
    assert [(r.number, r.status) for r in plan.revisions] == [
        (1, RevisionStatus.CHANGES_REQUESTED),
        (2, RevisionStatus.AGREED),
    ]
    assert plan.in_force is not None
    assert plan.in_force.content.goals["g1"].target == Decimal("26000000")
    assert plan.comments[0].answer == "Raised to 26M"
    assert plan.comments[0].item_id == "g1"


def test_role_rules() -> None:
    plan = run(started(), put(ItemType.GOAL, goal()))
    with pytest.raises(NotAllowed) as boss_edits:
        decide(plan, put(ItemType.GOAL, goal(), actor=BOSS))
    assert boss_edits.value.code == "owner-manager-only"
    plan = run(plan, c.ProposeRevision(actor=KAM, parties=PARTIES))
    with pytest.raises(NotAllowed) as own:
        decide(plan, c.AgreeRevision(actor=KAM, parties=PARTIES, revision=1))
    assert own.value.code == "supervisor-only"
    with pytest.raises(NotAllowed):
        decide(plan, c.AgreeRevision(actor=OTHER_BOSS, parties=PARTIES, revision=1))
    with pytest.raises(Conflict) as twice:
        decide(plan, c.ProposeRevision(actor=KAM, parties=PARTIES))
    assert twice.value.code == "revision-pending"
    agreed = run(plan, c.AgreeRevision(actor=Actor("root", Role.ADMIN), parties=PARTIES, revision=1))
    with pytest.raises(DomainError) as nothing:
        decide(agreed, c.ProposeRevision(actor=KAM, parties=PARTIES))
    assert nothing.value.code == "nothing-to-propose"


def test_items_are_checked_against_the_horizon_and_their_shape() -> None:
    plan = started()
    for item, code in [
        (goal(period="2030"), "period-outside-horizon"),
        (goal(period="2027-Q5"), "invalid-period"),
        (goal(target="-1"), "out-of-range"),
        (goal(target="1e15"), "out-of-range"),  # unbounded, every sum and ratio of the views overflowed
        (goal(target="0.0000001"), "out-of-range"),
        (action(cost="1e7000000"), "out-of-range"),
        (action(due="20260630"), "invalid-date"),  # date.fromisoformat alone takes it, and stored it so
        (action(due="0001-01-01"), "invalid-date"),
        (action(due="2026-02-30"), "invalid-date"),
    ]:
        with pytest.raises(DomainError) as refused:
            decide(plan, put(ItemType.ACTION if isinstance(item, Action) else ItemType.GOAL, item))
        assert refused.value.code == code
    with pytest.raises(DomainError) as money:
        decide(
            plan,
            put(
                ItemType.ACTION,
                Action(
                    item_id="a", period="2026", what="x", owner="k", due="2026-01-01", cost=Decimal(1), currency="rub"
                ),
            ),
        )
    assert money.value.code == "invalid-currency"


def test_an_item_id_names_one_item_of_the_plan_whatever_its_type() -> None:
    """A goal and an action could share an id, while comments, progress and actuals are keyed by the id alone:
    a comment on that id went to the goal only."""
    plan = run(started(), put(ItemType.GOAL, goal("x")))
    for command in (put(ItemType.ACTION, action("x")), put(ItemType.STRATEGY, Strategy(item_id="x", text="t"))):
        with pytest.raises(DomainError) as taken:
            decide(plan, command)
        assert (taken.value.code, taken.value.details) == ("item-id-taken", {"item": "x", "item_type": "goal"})
    plan = run(
        plan, c.ProposeRevision(actor=KAM, parties=PARTIES), c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1)
    )
    change = ItemChange(op="put", item_type="action", item_id="x", item=codec.to_dict(action("x")))
    with pytest.raises(DomainError) as taken:
        decide(plan, session(BOSS, "Spend on it", change))
    assert taken.value.code == "item-id-taken"
    removed = ItemChange(op="remove", item_type="goal", item_id="x")  # once the goal is gone, the id is free
    plan = run(
        plan,
        session(BOSS, "Spend on it", removed, change),
        c.ConfirmSession(actor=KAM, parties=PARTIES, session_id="s"),
    )
    assert plan.in_force is not None
    assert "x" in plan.in_force.content.actions


def test_a_session_needs_the_other_party_and_becomes_the_plan_in_force() -> None:
    plan = run(started(), put(ItemType.GOAL, goal()), c.ProposeRevision(actor=KAM, parties=PARTIES))
    plan = run(plan, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1))
    change = ItemChange(
        op="put", item_type="strategy", item_id="s1", item={"item_id": "s1", "text": "Become the second source"}
    )
    plan = run(plan, session(BOSS, "Add a strategy", change))
    assert plan.in_force is not None
    assert plan.in_force.number == 1
    with pytest.raises(NotAllowed):
        decide(plan, c.ConfirmSession(actor=BOSS, parties=PARTIES, session_id="s"))  # the recorder cannot confirm
    plan = run(plan, c.ConfirmSession(actor=KAM, parties=PARTIES, session_id="s"))
    assert plan.in_force.number == 2
    assert plan.in_force.session_id == "s"
    assert "s1" in plan.in_force.content.strategies
    assert plan.draft == plan.in_force.content


def test_a_session_recorded_before_a_newer_agreement_cannot_be_confirmed() -> None:
    # given a session recorded on revision 1, and revision 2 agreed after it
    plan = run(started(), put(ItemType.GOAL, goal()), c.ProposeRevision(actor=KAM, parties=PARTIES))
    plan = run(plan, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1))
    change = ItemChange(op="put", item_type="goal", item_id="g1", item=codec.to_dict(goal(target="10")))
    plan = run(
        plan,
        session(KAM, "Lower the volume", change),
        put(ItemType.GOAL, goal(target="20")),
        c.ProposeRevision(actor=KAM, parties=PARTIES),
    )
    plan = run(plan, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=2))
    assert plan.sessions["s"].based_on == 1
    # when the supervisor confirms it, then it is refused: its changes were decided against revision 1
    with pytest.raises(Conflict) as outdated:
        decide(plan, c.ConfirmSession(actor=BOSS, parties=PARTIES, session_id="s"))
    assert (outdated.value.code, outdated.value.details) == ("session-outdated", {"based_on": 1, "in_force": 2})
    assert plan.in_force is not None
    assert plan.in_force.content.goals["g1"].target == Decimal("20")


def test_the_diff_shows_every_kind_of_change_and_the_budget() -> None:
    old = PlanContent(
        goals={"g1": goal(), "g2": goal("g2", "10", "2027")},
        actions={"a1": action(), "a2": action("a2", "100000", "2027", "2027-03-01")},
        strategies={"s1": Strategy(item_id="s1", text="Be second source")},
        assumptions={"x1": Note(item_id="x1", text="Rouble stable")},
        risks={"r1": Note(item_id="r1", text="Tariffs")},
    )
    new = PlanContent(
        goals={"g1": goal(target="26000000"), "g3": goal("g3", "5", "2028")},
        actions={"a1": action(cost="350000"), "a3": action("a3", "50000", "2028", "2028-02-01")},
        strategies={"s1": Strategy(item_id="s1", text="Be first source")},
        assumptions={},
        risks={"r1": Note(item_id="r1", text="Tariffs"), "r2": Note(item_id="r2", text="New competitor")},
    )
    found = {(d.item_type.value, d.item_id, d.change): d.fields for d in diff(old, new).items}
    assert set(found) == {
        ("goal", "g1", "changed"),
        ("goal", "g2", "removed"),
        ("goal", "g3", "added"),
        ("strategy", "s1", "changed"),
        ("action", "a1", "changed"),
        ("action", "a2", "removed"),
        ("action", "a3", "added"),
        ("assumption", "x1", "removed"),
        ("risk", "r2", "added"),
    }
    assert found[("goal", "g1", "changed")] == {"target": [Decimal("24000000"), Decimal("26000000")]}
    assert found[("action", "a1", "changed")] == {"cost": [Decimal("300000"), Decimal("350000")]}
    assert found[("goal", "g3", "added")]["period"] == [None, "2028"]
    assert diff(old, new).budget == {
        "2026": {"RUB": ["300000", "350000"]},
        "2027": {"RUB": ["100000", "0"]},
        "2028": {"RUB": ["0", "50000"]},
    }
    assert diff(new, new).items == ()


def test_progress_targets_actuals_overdue_and_period_plans() -> None:
    plan = run(
        started(),
        put(ItemType.GOAL, goal()),
        put(ItemType.ACTION, action()),
        put(ItemType.ACTION, action("a2", due="2026-12-20")),
        c.ProposeRevision(actor=KAM, parties=PARTIES),
    )
    with pytest.raises(DomainError) as early:
        decide(
            plan,
            c.RecordGoalActual(
                actor=KAM, parties=PARTIES, goal_id="g1", value=Decimal(1), source="", on=TODAY, today=TODAY
            ),
        )
    assert early.value.code == "goal-not-in-plan"  # nothing is in force yet
    plan = run(
        plan,
        c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1),
        c.RecordGoalActual(
            actor=KAM, parties=PARTIES, goal_id="g1", value=Decimal("12000000"), source="ERP", on=TODAY, today=TODAY
        ),
        c.SetActionStatus(
            actor=KAM, parties=PARTIES, action_id="a2", status=ActionStatus.DONE, note="", on=TODAY, today=TODAY
        ),
    )
    with pytest.raises(DomainError) as huge:  # once written, it made the plan view a 500 until corrected
        decide(
            plan,
            c.RecordGoalActual(
                actor=KAM, parties=PARTIES, goal_id="g1", value=Decimal("1e30"), source="", on=TODAY, today=TODAY
            ),
        )
    assert (huge.value.code, huge.value.details) == ("out-of-range", {"field": "value"})
    content = plan.in_force.content  # type: ignore[union-attr]
    assert goal_status(plan, content.goals["g1"]).achieved == 0.5
    assert action_state(plan, content.actions["a1"], TODAY).overdue
    assert not action_state(plan, content.actions["a2"], TODAY).overdue
    q2 = period_plan(plan, content, "2026-Q2", TODAY)
    assert [a.action.item_id for a in q2.actions] == ["a1"]
    year = period_plan(plan, content, "2026", TODAY)
    assert year.budget == {"RUB": Decimal("600000")}


def test_the_current_actual_is_the_one_of_the_latest_day_whatever_the_order_it_was_recorded_in() -> None:
    plan = run(
        started(),
        put(ItemType.GOAL, goal()),
        c.ProposeRevision(actor=KAM, parties=PARTIES),
        c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1),
    )

    def actual(value: str, on: date) -> c.RecordGoalActual:
        return c.RecordGoalActual(
            actor=KAM, parties=PARTIES, goal_id="g1", value=Decimal(value), source="", on=on, today=TODAY
        )

    plan = run(plan, actual("100", TODAY))
    backdated = run(plan, actual("5", date(2026, 5, 7)))
    assert (backdated.actuals["g1"].value, backdated.actuals["g1"].on) == (Decimal("100"), TODAY)
    same_day = run(backdated, actual("120", TODAY))
    assert same_day.actuals["g1"].value == Decimal("120")  # a tie: the later recorded is the correction


def test_a_second_answer_to_a_comment_keeps_the_first_in_the_trail() -> None:
    # given a proposed revision with a comment
    plan = run(started(), put(ItemType.GOAL, goal()), c.ProposeRevision(actor=KAM, parties=PARTIES))
    plan = run(
        plan, c.CommentOnRevision(actor=BOSS, parties=PARTIES, comment_id="c1", revision=1, item_id=None, text="Why?")
    )
    # when the manager answers twice
    plan = run(
        plan,
        c.AnswerComment(actor=KAM, parties=PARTIES, comment_id="c1", text="Flat market"),
        c.AnswerComment(actor=KAM, parties=PARTIES, comment_id="c1", text="Changed my mind"),
    )
    # then the latest answer is current and both stay, in order
    [comment] = plan.comments
    assert comment.answer == "Changed my mind"
    assert [(a.text, a.by) for a in comment.answers] == [("Flat market", "kam"), ("Changed my mind", "kam")]
    assert codec.from_dict(Plan, codec.to_dict(plan)) == plan


def test_the_state_survives_its_json_form() -> None:
    plan = run(started(), put(ItemType.GOAL, goal()), c.ProposeRevision(actor=KAM, parties=PARTIES))
    assert codec.from_dict(Plan, codec.to_dict(plan)) == plan


def test_the_register_keeps_one_current_plan_per_account() -> None:
    def run_register(state: r.PlanRegister, *commands: r.RegisterCommand) -> r.PlanRegister:
        for command in commands:
            for event in r.decide(state, command):
                state = r.evolve(state, event)
        return state

    # given an account whose first plan is registered
    first = run_register(r.initial_state(), r.RegisterPlan(by="kam", account_id="a", plan_id="p1", supersedes=None))
    assert first.current == ("p1",)
    # when a second plan supersedes none, then it is refused, naming the current one
    with pytest.raises(Conflict) as second:
        r.decide(first, r.RegisterPlan(by="kam", account_id="a", plan_id="p2", supersedes=None))
    assert (second.value.code, second.value.details) == ("current-plan-exists", {"plan_id": "p1"})
    # a successor must supersede the current plan, and replaces it when its succession completes
    with pytest.raises(Conflict) as elsewhere:
        r.decide(first, r.RegisterPlan(by="kam", account_id="a", plan_id="p2", supersedes="p9"))
    assert elsewhere.value.code == "not-the-current-plan"
    drafting = run_register(first, r.RegisterPlan(by="kam", account_id="a", plan_id="p2", supersedes="p1"))
    assert (drafting.current, drafting.successors) == (("p1",), {"p2": "p1"})
    with pytest.raises(Conflict) as twice:
        r.decide(drafting, r.RegisterPlan(by="kam", account_id="a", plan_id="p3", supersedes="p1"))
    assert (twice.value.code, twice.value.details) == ("successor-pending", {"plan_id": "p2"})
    done = run_register(drafting, r.CompleteSuccession(by="boss", account_id="a", plan_id="p2", superseded="p1"))
    assert (done.current, done.successors) == (("p2",), {})
    # an abandoned successor is no longer counted: the current plan may take another
    given_up = run_register(drafting, r.AbandonSuccession(by="boss", account_id="a", plan_id="p2", superseded="p1"))
    assert (given_up.current, given_up.successors) == (("p1",), {})
    again = run_register(given_up, r.RegisterPlan(by="kam", account_id="a", plan_id="p3", supersedes="p1"))
    assert again.successors == {"p3": "p1"}
    # plans started before the register are found when it opens
    legacy = run_register(
        r.initial_state(),
        r.RegisterPlan(by="kam", account_id="a", plan_id="p3", supersedes="p2", found=("p1", "p2")),
    )
    assert (legacy.exists, legacy.current) == (True, ("p1", "p2"))


def test_a_predecessor_leaves_force_only_with_its_successors_agreement_and_hands_over_its_progress() -> None:
    # given an agreed plan with progress, and a successor started from it
    old = run(started(), put(ItemType.ACTION, action()), put(ItemType.GOAL, goal()))
    old = run(
        old, c.ProposeRevision(actor=KAM, parties=PARTIES), c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1)
    )
    old = run(old, c.StartSuccessor(actor=KAM, parties=PARTIES, plan_id="p2"))
    done = c.SetActionStatus(
        actor=KAM, parties=PARTIES, action_id="a1", status=ActionStatus.DONE, note="", on=TODAY, today=TODAY
    )
    old = run(old, done)  # still in force: progress is taken
    with pytest.raises(Conflict) as frozen:
        decide(old, put(ItemType.GOAL, goal(target="1")))
    assert frozen.value.code == "successor-pending"
    # when the successor is not agreed, the predecessor is not superseded
    with pytest.raises(Conflict) as early:
        decide(old, c.SupersedePlan(actor=KAM, parties=PARTIES, by_plan="p2", successor_agreed=None))
    assert early.value.code == "successor-not-agreed"
    # when its first revision is agreed, it takes over the progress of the items it keeps
    new = run(successor_of(old), put(ItemType.ACTION, action(due="2026-07-31")))  # rescheduled: still the same action
    new = run(
        new, c.ProposeRevision(actor=KAM, parties=PARTIES), c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1)
    )
    for event in take_over(new, old, "boss"):
        new = evolve(new, event)
    assert action_state(new, new.in_force.content.actions["a1"], TODAY).status is ActionStatus.DONE  # type: ignore[union-attr]
    old = run(old, c.SupersedePlan(actor=BOSS, parties=PARTIES, by_plan="p2", successor_agreed=1))
    assert (old.superseded_by, old.successor) == ("p2", None)


def test_a_successor_takes_no_progress_for_an_item_it_did_not_start_with_even_under_the_same_id() -> None:
    """Items were matched by id alone: an action or goal the successor did not start with (here outside its horizon)
    but created under a predecessor's item's id inherited that item's status or actual."""
    old = run(
        started(),
        put(ItemType.ACTION, action("a1")),
        put(ItemType.ACTION, action("a2", period="2026")),
        put(ItemType.GOAL, goal("g1")),
        put(ItemType.GOAL, goal("g2", period="2026")),
    )
    old = run(
        old, c.ProposeRevision(actor=KAM, parties=PARTIES), c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1)
    )
    old = run(old, c.StartSuccessor(actor=KAM, parties=PARTIES, plan_id="p2"))
    for a in ("a1", "a2"):
        status = c.SetActionStatus(
            actor=KAM, parties=PARTIES, action_id=a, status=ActionStatus.DONE, note="", on=TODAY, today=TODAY
        )
        old = run(old, status)
    for g in ("g1", "g2"):
        actual = c.RecordGoalActual(
            actor=KAM, parties=PARTIES, goal_id=g, value=Decimal("5"), source="erp", on=TODAY, today=TODAY
        )
        old = run(old, actual)
    assert old.in_force is not None
    kept = old.in_force.content
    # the successor starts with a1 and g1 only (as one whose horizon leaves out the others' period would)
    new = successor_of(old, starting=PlanContent(goals={"g1": kept.goals["g1"]}, actions={"a1": kept.actions["a1"]}))
    others = (put(ItemType.ACTION, action("a2", cost="2")), put(ItemType.GOAL, goal("g2", target="7")))
    new = run(new, *others, c.ProposeRevision(actor=KAM, parties=PARTIES))
    new = run(new, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1))

    [carried] = take_over(new, old, "boss")
    assert isinstance(carried, PredecessorProgressCarried)
    assert (set(carried.progress), set(carried.actuals)) == ({"a1"}, {"g1"})


def successor_of(old: Plan, plan_id: str = "p2", starting: PlanContent | None = None) -> Plan:
    """`old`'s successor, started from `starting`: by default the plan in force (or the draft), whole."""
    return run(
        initial_state(),
        c.StartPlan(
            actor=KAM,
            parties=PARTIES,
            plan_id=plan_id,
            account_id="a1",
            title="Next",
            horizon_from=2026,
            horizon_to=2029,
            supersedes=old.plan_id,
            starting_content=starting
            if starting is not None
            else (old.in_force.content if old.in_force else old.draft),
        ),
    )


def test_a_successor_never_agreed_can_be_abandoned_and_its_predecessor_takes_revisions_again() -> None:
    # given an agreed plan whose successor is being drafted and proposed
    old = run(started(), put(ItemType.GOAL, goal()), c.ProposeRevision(actor=KAM, parties=PARTIES))
    old = run(old, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1))
    old = run(old, c.StartSuccessor(actor=KAM, parties=PARTIES, plan_id="p2"))
    new = run(successor_of(old), put(ItemType.GOAL, goal(target="1")), c.ProposeRevision(actor=KAM, parties=PARTIES))
    # when someone who is no party tries, then it is refused
    with pytest.raises(NotAllowed):
        decide(new, c.AbandonSuccessor(actor=OTHER_BOSS, parties=PARTIES, reason="mine"))
    with pytest.raises(DomainError) as blank:
        decide(new, c.AbandonSuccessor(actor=BOSS, parties=PARTIES, reason=" "))
    assert blank.value.code == "missing-value"
    # when the supervisor abandons it, with the reason
    new = run(new, c.AbandonSuccessor(actor=BOSS, parties=PARTIES, reason="The buyer merges"))
    old = run(old, c.ForgoSuccessor(actor=BOSS, parties=PARTIES, by_plan="p2"))
    # then it takes nothing more, waits for no review, and its predecessor takes revisions and a successor again
    assert (new.abandoned.reason, new.abandoned.by, new.pending) == ("The buyer merges", "boss", None)  # type: ignore[union-attr]
    with pytest.raises(Conflict) as dead:
        decide(new, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1))
    assert dead.value.code == "plan-abandoned"
    assert old.successor is None
    old = run(old, put(ItemType.GOAL, goal(target="2")), c.ProposeRevision(actor=KAM, parties=PARTIES))
    old = run(old, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=2))
    assert run(old, c.StartSuccessor(actor=KAM, parties=PARTIES, plan_id="p3")).successor == "p3"
    assert codec.from_dict(Plan, codec.to_dict(new)) == new


def test_only_a_successor_never_agreed_is_abandoned() -> None:
    # given a plan that supersedes nothing, then there is nothing to abandon
    plan = run(started(), put(ItemType.GOAL, goal()), c.ProposeRevision(actor=KAM, parties=PARTIES))
    plan = run(plan, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1))
    with pytest.raises(Conflict) as alone:
        decide(plan, c.AbandonSuccessor(actor=KAM, parties=PARTIES, reason="why"))
    assert alone.value.code == "not-a-successor"
    # given a successor whose first revision was agreed, then it is refused: it superseded its predecessor
    old = run(plan, c.StartSuccessor(actor=KAM, parties=PARTIES, plan_id="p2"))
    new = run(successor_of(old), put(ItemType.GOAL, goal(target="1")), c.ProposeRevision(actor=KAM, parties=PARTIES))
    new = run(new, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1))
    with pytest.raises(Conflict) as agreed:
        decide(new, c.AbandonSuccessor(actor=BOSS, parties=PARTIES, reason="late"))
    assert (agreed.value.code, agreed.value.details) == ("successor-agreed", {"plan_id": "p1"})
    # and a predecessor forgoes only its own successor
    with pytest.raises(Conflict) as other:
        decide(old, c.ForgoSuccessor(actor=BOSS, parties=PARTIES, by_plan="p9"))
    assert other.value.code == "not-the-successor"


def test_a_share_goal_is_a_percentage() -> None:
    """Found by review: a share of the client's purchases was taken at 250 %."""
    plan = started()
    share = replace(goal("g9", target="100.5"), kind=GoalKind.SHARE, unit="%")
    with pytest.raises(DomainError) as refused:
        decide(plan, put(ItemType.GOAL, share))
    assert (refused.value.code, refused.value.details) == ("out-of-range", {"field": "target"})
    assert run(plan, put(ItemType.GOAL, replace(share, target=Decimal(100)))).draft.goals["g9"].target == 100
    assert run(plan, put(ItemType.GOAL, goal("g8", target="250"))).draft.goals["g8"].target == 250  # a volume


def test_a_session_that_changes_nothing_is_confirmed_without_a_revision_and_the_state_survives_its_json_form() -> None:
    # given revision 1 in force, a comment the supervisor agreed past, and a session that keeps the plan as it is
    plan = run(started(), put(ItemType.GOAL, goal()), c.ProposeRevision(actor=KAM, parties=PARTIES))
    comment = c.CommentOnRevision(actor=BOSS, parties=PARTIES, comment_id="c1", revision=1, item_id=None, text="Why?")
    plan = run(plan, comment, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1), session(BOSS, "It stands"))
    # when the manager confirms the session
    [confirmed] = decide(plan, c.ConfirmSession(actor=KAM, parties=PARTIES, session_id="s"))
    plan = evolve(plan, confirmed, datetime(2026, 11, 2))
    # then its minutes stand, no revision is made, and the comment is no longer open
    assert type(confirmed) is PlanningSessionConfirmedUnchanged
    assert ([r.number for r in plan.revisions], plan.sessions["s"].confirmed_by, plan.sessions["s"].revision) == (
        [1],
        "kam",
        None,
    )
    assert (plan.sessions["s"].recorded_at, plan.comments[0].closed, plan.comments[0].open) == (
        datetime(2026, 11, 1),
        CommentClosed.AGREED,
        False,
    )
    assert codec.from_dict(Plan, codec.to_dict(plan)) == plan  # as a snapshot keeps it


def test_a_successors_revision_0_is_what_it_started_from_when_that_was_agreed() -> None:
    """Revision 0 was nothing on every plan, so a successor's first revision read as adding all it had kept."""
    # given an agreed plan, a successor started from it, and one started from a draft no one agreed
    old = run(started(), put(ItemType.GOAL, goal()), c.ProposeRevision(actor=KAM, parties=PARTIES))
    old = run(old, c.AgreeRevision(actor=BOSS, parties=PARTIES, revision=1))
    assert old.in_force is not None
    new = run(successor_of(old), put(ItemType.GOAL, goal(target="1")), c.ProposeRevision(actor=KAM, parties=PARTIES))
    unagreed = c.StartPlan(
        actor=KAM,
        parties=PARTIES,
        plan_id="p3",
        account_id="a1",
        title="Next",
        horizon_from=2026,
        horizon_to=2029,
        supersedes="p1",
        starting_content=old.in_force.content,
        starting_agreed=False,
    )
    drafted = run(initial_state(), unagreed)
    # then revision 0 is the plan in force it started from, and the first revision changes only the target
    assert (new.content_of(0), new.baseline, new.content_of(2)) == (old.in_force.content, new.starting, None)
    [changed] = diff(new.content_of(0) or PlanContent(), new.content_of(1) or PlanContent()).items
    assert (changed.item_id, changed.change, changed.fields) == (
        "g1",
        "changed",
        {"target": [Decimal("24000000"), Decimal("1")]},
    )
    # and a first plan, or a successor of a draft, starts from nothing
    assert started().content_of(0) == drafted.content_of(0) == drafted.baseline == PlanContent()
