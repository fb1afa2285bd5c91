"""The rules of joint planning: the owner manager drafts and proposes, the team's supervisor reviews and agrees."""

from __future__ import annotations

from typing import assert_never

from service.domain import codec
from service.domain.errors import Conflict, NotAllowed, NotFound, amount, require
from service.domain.plan import commands as c
from service.domain.plan import events as e
from service.domain.plan.content import GoalKind, ItemType, within_horizon
from service.domain.plan.guards import (
    is_manager,
    is_supervisor,
    require_manager,
    require_none_pending,
    require_party,
    require_supervisor,
)
from service.domain.plan.items import check_item, ensure_id_free
from service.domain.plan.items import plan_text as _text
from service.domain.plan.sessions import confirm_session, record_session
from service.domain.plan.state import Plan, Revision, RevisionStatus

MAX_HORIZON_YEARS = 10


def decide(state: Plan, command: c.PlanCommand) -> list[e.PlanEvent]:
    if isinstance(command, c.StartPlan):
        if state.exists:
            raise Conflict("plan-exists", "a plan with this id exists already")
        if not (is_manager(command.actor, command.parties) or is_supervisor(command.actor, command.parties)):
            raise NotAllowed("owner-manager-only", "the owner manager or the team's supervisor starts a plan")
        years = command.horizon_to - command.horizon_from + 1
        require(1 <= years <= MAX_HORIZON_YEARS, "invalid-horizon", f"a horizon spans 1 to {MAX_HORIZON_YEARS} years")
        return [
            e.PlanStarted(
                plan_id=command.plan_id,
                account_id=command.account_id,
                title=_text(command.title, "title", limit=200),
                horizon_from=command.horizon_from,
                horizon_to=command.horizon_to,
                by=command.actor.sub,
                supersedes=command.supersedes,
                starting_content=within_horizon(command.starting_content, command.horizon_from, command.horizon_to)
                if command.starting_content is not None
                else None,
                starting_agreed=command.starting_agreed,
            )
        ]
    if not state.exists:
        raise NotFound("plan-not-found", "no such plan")
    if state.abandoned is not None:
        raise Conflict(
            "plan-abandoned",
            f"this successor was abandoned by {state.abandoned.by} ({state.abandoned.reason}); it stays readable",
        )
    if state.superseded_by is not None and not isinstance(command, c.SupersedePlan):
        raise Conflict("plan-superseded", f"this plan was superseded by {state.superseded_by}; it stays readable")
    if state.successor is not None and isinstance(command, FROZEN_WHILE_SUCCEEDED):
        raise Conflict(
            "successor-pending",
            f"plan {state.successor} is being drafted to supersede this one: change that plan; this one stays in "
            "force, taking progress, until the supervisor agrees its successor",
            plan_id=state.successor,
        )
    by = command.actor.sub
    match command:
        case c.PutItem():
            require_manager(command)
            item = check_item(state, command.item_type, command.item)
            ensure_id_free(state.draft, command.item_type, item.item_id)
            if state.draft.items(command.item_type).get(item.item_id) == item:
                return []
            return [e.DraftItemPut(item_type=command.item_type, item=codec.to_dict(item), by=by)]
        case c.RemoveItem():
            require_manager(command)
            if command.item_id not in state.draft.items(command.item_type):
                raise NotFound("item-not-found", f"no {command.item_type.value} {command.item_id} in the draft")
            return [e.DraftItemRemoved(item_type=command.item_type, item_id=command.item_id, by=by)]
        case c.ProposeRevision():
            require_manager(command)
            require_none_pending(state)
            in_force = state.agreed
            require(state.draft != in_force, "nothing-to-propose", "the draft does not differ from the plan in force")
            return [
                e.RevisionProposed(
                    revision=len(state.revisions) + 1,
                    content=state.draft,
                    note=_text(command.note, "note", required=False),
                    by=by,
                )
            ]
        case c.CommentOnRevision():
            require_supervisor(command)
            revision = _revision(state, command.revision)
            if command.item_id is not None and revision.content.find(command.item_id) is None:
                raise NotFound("item-not-in-revision", f"revision {revision.number} has no item {command.item_id}")
            return [
                e.RevisionCommented(
                    comment_id=command.comment_id,
                    revision=revision.number,
                    item_id=command.item_id,
                    text=_text(command.text, "text"),
                    by=by,
                )
            ]
        case c.AnswerComment():
            require_manager(command)
            comment = next((x for x in state.comments if x.comment_id == command.comment_id), None)
            if comment is None:
                raise NotFound("comment-not-found", "no such comment on this plan")
            return [e.CommentAnswered(comment_id=comment.comment_id, text=_text(command.text, "text"), by=by)]
        case c.RequestChanges():
            require_supervisor(command)
            revision = _pending(state, command.revision)
            return [e.ChangesRequested(revision=revision.number, note=_text(command.note, "note"), by=by)]
        case c.AgreeRevision():
            require_supervisor(command)
            if command.actor.sub == revision_author(state, command.revision):
                raise NotAllowed("own-revision", "nobody agrees their own revision")
            revision = _pending(state, command.revision)
            return [e.RevisionAgreed(revision=revision.number, note=_text(command.note, "note", required=False), by=by)]
        case c.RecordSession():
            return record_session(state, command)
        case c.ConfirmSession():
            return confirm_session(state, command)
        case c.SetActionStatus():
            in_force = state.in_force
            if in_force is None or command.action_id not in in_force.content.actions:
                raise NotFound("action-not-in-plan", "no such action in the plan in force")
            require_party(command, "progress is recorded")
            require(command.on <= command.today, "date-in-future", "progress is recorded after the fact", field="on")
            return [
                e.ActionStatusSet(
                    action_id=command.action_id,
                    status=command.status,
                    note=_text(command.note, "note", required=False),
                    on=command.on,
                    by=by,
                )
            ]
        case c.RecordGoalActual():
            in_force = state.in_force
            if in_force is None or command.goal_id not in in_force.content.goals:
                raise NotFound("goal-not-in-plan", "no such goal in the plan in force")
            require_party(command, "actuals are recorded")
            share = in_force.content.goals[command.goal_id].kind is GoalKind.SHARE
            amount(command.value, "value", signed=not share)  # a volume's may be negative (returns), not a share
            require(
                not share or command.value <= 100,
                "out-of-range",
                "a share goal's actual is a percentage, 0 to 100, as its target is",
                field="value",
            )
            require(command.on <= command.today, "date-in-future", "actuals are recorded after the fact", field="on")
            return [
                e.GoalActualRecorded(
                    goal_id=command.goal_id,
                    value=command.value,
                    source=_text(command.source, "source", required=False, limit=500),
                    on=command.on,
                    by=by,
                )
            ]
        case c.StartSuccessor():
            require_party(command, "a successor is started")
            if state.successor is not None:
                raise Conflict(
                    "successor-pending",
                    f"plan {state.successor} is being drafted to supersede this one already",
                    plan_id=state.successor,
                )
            require_none_pending(state)  # its agreement would change a plan the successor's draft no longer follows
            return [e.SuccessorStarted(plan_id=command.plan_id, by=by)]
        case c.SupersedePlan():
            if state.superseded_by == command.by_plan:
                return []  # a successor started before the register of plans superseded at once
            if state.superseded_by is not None:
                raise Conflict("plan-superseded", f"superseded by {state.superseded_by} already")
            if state.successor != command.by_plan:
                raise Conflict("not-the-successor", f"plan {command.by_plan} was not started as this plan's successor")
            if command.successor_agreed is None:
                raise Conflict("successor-not-agreed", "a plan leaves force only once its successor is agreed")
            require_party(command, "a plan is superseded")
            return [e.PlanSuperseded(by_plan=command.by_plan, by=by)]
        case c.AbandonSuccessor():
            require_party(command, "a successor is abandoned")
            if state.supersedes is None:
                raise Conflict("not-a-successor", "this plan supersedes no plan: there is no succession to abandon")
            if state.in_force is not None:
                raise Conflict(
                    "successor-agreed",
                    f"revision {state.in_force.number} of this plan was agreed, so it superseded {state.supersedes}: "
                    "an agreed plan is not abandoned, it is superseded by a successor of its own",
                    plan_id=state.supersedes,
                )
            return [e.PlanAbandoned(reason=_text(command.reason, "reason"), by=by)]
        case c.ForgoSuccessor():
            if state.successor != command.by_plan:
                raise Conflict("not-the-successor", f"plan {command.by_plan} is not this plan's pending successor")
            require_party(command, "a successor is abandoned")
            return [e.SuccessorAbandoned(plan_id=command.by_plan, by=by)]
        case c.StartPlan():
            raise AssertionError("handled above")
        case _:
            assert_never(command)


FROZEN_WHILE_SUCCEEDED = (c.PutItem, c.RemoveItem, c.ProposeRevision, c.RecordSession, c.ConfirmSession)


def take_over(successor: Plan, predecessor: Plan, by: str) -> list[e.PlanEvent]:
    """The successor's first agreement (`successor` already holds it): the predecessor's progress and actuals on the
    items the successor keeps come along, so marking an action done or a goal's actual is never lost with the plan
    it was recorded on. Items are matched by id, as the successor's draft started from the predecessor's: an item the
    successor did not start with (outside its horizon, say) is another one, even under a predecessor's item's id."""
    content = successor.agreed

    def kept(item_type: ItemType, item_id: str) -> bool:
        return item_id in content.items(item_type) and item_id in successor.starting.items(item_type)

    return [
        e.PredecessorProgressCarried(
            from_plan=predecessor.plan_id,
            progress={k: v for k, v in predecessor.progress.items() if kept(ItemType.ACTION, k)},
            actuals={k: v for k, v in predecessor.actuals.items() if kept(ItemType.GOAL, k)},
            by=by,
        )
    ]


def revision_author(state: Plan, number: int) -> str | None:
    revision = state.revision(number)
    return revision.proposed_by if revision else None


def _revision(state: Plan, number: int) -> Revision:
    revision = state.revision(number)
    if revision is None:
        raise NotFound("revision-not-found", f"no revision {number}")
    return revision


def _pending(state: Plan, number: int) -> Revision:
    revision = _revision(state, number)
    if revision.status is not RevisionStatus.PROPOSED:
        raise Conflict("revision-not-pending", f"revision {number} is {revision.status.value}, not waiting for review")
    return revision
