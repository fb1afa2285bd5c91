"""A plan as an API resource: loaded only where the actor may see it, acted on, and rendered with its
progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Response
from pydantic import Field

from service.api.commanding import Command, Written, account_of, existing, written
from service.api.days import day_of
from service.api.moments import Moment
from service.api.routes.plans.succession import act_on_successor
from service.commands.aggregates import PLAN, account_stream, plan_stream
from service.commands.handler import Step
from service.domain import codec
from service.domain.account.state import Account
from service.domain.actors import Actor
from service.domain.errors import NotFound
from service.domain.plan import commands as cmd
from service.domain.plan.content import PlanContent, diff
from service.domain.plan.decide import decide
from service.domain.plan.state import Plan
from service.domain.plan.view import action_state, goal_status
from service.runtime import Runtime

AsOf = Annotated[Moment | None, Query(description="The plan as kamplan knew it at this moment.")]


def hidden() -> NotFound:
    """A plan's 404, the same whether it does not exist or its account is not one the actor may see."""
    return NotFound("plan-not-found", "no such plan, or not one you may see")


async def load_visible(
    runtime: Runtime, actor: Actor, plan_id: str, as_of: datetime | None = None
) -> tuple[Any, Account]:
    """The plan (as of `as_of`) and its account, or 404 when the actor may not see the account: whether
    the plan exists is not revealed."""
    current = await runtime.repository.load(PLAN, plan_stream(plan_id))
    if not current.state.exists:
        raise hidden()
    account = await account_of(runtime, actor, current.state.account_id, hidden())
    loaded = current if as_of is None else await runtime.repository.load(PLAN, plan_stream(plan_id), as_of=as_of)
    if not loaded.state.exists:
        raise NotFound("plan-not-found", "the plan did not exist at that moment")
    return loaded, account.state


def content_out(plan: Plan, content: PlanContent, day: date) -> dict[str, Any]:
    data = codec.to_dict(content)
    for goal_id, goal in data["goals"].items():
        st = goal_status(plan, content.goals[goal_id])
        goal["actual"] = str(st.actual) if st.actual is not None else None
        goal["achieved"] = st.achieved
    for action_id, action in data["actions"].items():
        st = action_state(plan, content.actions[action_id], day)
        action["status"], action["overdue"] = st.status.value, st.overdue
    data["budget"] = _amounts(content.budget())
    data["budget_by_year"] = _amounts(content.budget_by_year())
    return data


def _amounts(budget: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, str]]:
    return {period: {currency: format(v, "f") for currency, v in by.items()} for period, by in budget.items()}


def diff_out(old: PlanContent, new: PlanContent) -> dict[str, Any]:
    return codec.to_dict(diff(old, new))


class PlanOut(Written):
    plan_id: str
    account_id: str
    title: str
    horizon: list[int]
    superseded_by: str | None
    supersedes: str | None
    successor: str | None = Field(
        None,
        description="The plan being drafted to supersede this one, which stays in force (taking progress, not new "
        "revisions) until the supervisor agrees the successor's first revision.",
    )
    abandoned: dict[str, Any] | None = Field(
        None,
        description="A successor given up before its first agreement: `reason`, `by`, `at`. It takes no command; "
        "its predecessor stayed in force.",
    )
    in_force: dict[str, Any] | None = Field(
        description="The agreed revision in force: number, who agreed when, content with targets against "
        "actuals, actions with status and overdue flag, `budget` per period as the actions are written (a year's "
        "entry holds only the actions planned for the whole year) and `budget_by_year`, each year's total."
    )
    under_discussion: dict[str, Any] | None = Field(
        description="The revision waiting for review: number, who proposed it when, its diff to the plan in force (for "
        "a successor before its first agreement, to what it started from: its predecessor's plan in force, if any)."
    )
    draft_changes: dict[str, Any] = Field(
        description="What the manager's draft changes against the plan in force (for a successor before its first "
        "agreement, against `started_from`, as `under_discussion`)."
    )
    started_from: dict[str, Any] | None = Field(
        None,
        description="A successor before its first agreement: the items it started from (revision 0), its "
        "predecessor's plan in force within its horizon, against which `draft_changes` and `under_discussion` are "
        "given. Null for any other plan, and for a successor of a plan never agreed (it started from a draft no one "
        "agreed, and its changes are given against nothing).",
    )
    overdue_actions: list[str]
    open_comments: list[dict[str, Any]] = Field(
        description="The supervisor's comments waiting for the manager's answer. One stops being open when answered, "
        "or when its review ends without an answer (a new revision proposed over the one sent back that it is on, a "
        "revision agreed or a planning session confirmed after it, the plan leaving force): it stays in the trail of "
        "`GET …/revisions`, with why in `closed`, and may still be answered, but on a plan that left force (superseded "
        "or abandoned), which takes no answer."
    )
    as_of: datetime | None = None


def plan_out(plan: Plan, base: Written, as_of: datetime | None = None) -> PlanOut:
    day = day_of(as_of)
    in_force, pending = plan.in_force, plan.pending
    agreed = plan.agreed
    baseline = plan.baseline  # a successor not yet agreed: what it started from, its predecessor's plan in force
    force = None
    if in_force:
        force = {
            "revision": in_force.number,
            "agreed_by": in_force.decided_by,
            "agreed_at": in_force.decided_at,
            "session_id": in_force.session_id,
            "content": content_out(plan, in_force.content, day),
        }
    return PlanOut(
        **base.model_dump(),
        plan_id=plan.plan_id,
        account_id=plan.account_id,
        title=plan.title,
        horizon=[plan.horizon_from, plan.horizon_to],
        superseded_by=plan.superseded_by,
        supersedes=plan.supersedes,
        successor=plan.successor,
        abandoned=codec.to_dict(plan.abandoned) if plan.abandoned else None,
        in_force=force,
        under_discussion={
            "revision": pending.number,
            "proposed_by": pending.proposed_by,
            "proposed_at": pending.proposed_at,
            "note": pending.note,
            "diff": diff_out(baseline, pending.content),
        }
        if pending
        else None,
        draft_changes=diff_out(baseline, plan.draft),
        started_from=codec.to_dict(baseline) if in_force is None and plan.supersedes and plan.starting_agreed else None,
        overdue_actions=sorted(a.item_id for a in agreed.actions.values() if action_state(plan, a, day).overdue),
        open_comments=[codec.to_dict(c) for c in plan.comments if c.open],
        as_of=as_of,
    )


async def act(command: Command, plan_id: UUID, response: Response, make: Callable[[Plan, cmd.Parties], Any]) -> PlanOut:
    """Decide a plan command on the visible plan, with its parties as the account names them at the append (a
    hand-over racing it is decided again), append it, and answer with the plan as it now stands."""
    return await act_on(command, await plan_to_act_on(command, plan_id), response, make)


async def plan_to_act_on(command: Command, plan_id: UUID) -> Plan:
    """The plan a command addresses, as loaded before the handler (which loads it again to decide): a 404 if there is
    none; whether the actor may see it, the handler judges (`existing`)."""
    plan: Plan = (await existing(command.runtime, PLAN, plan_stream(str(plan_id)), hidden())).state
    return plan


async def act_on(command: Command, plan: Plan, response: Response, make: Callable[[Plan, cmd.Parties], Any]) -> PlanOut:
    """`act` on `plan`, from `plan_to_act_on`: for a route that needs the plan (its account) to prepare the command."""
    if plan.supersedes is not None and plan.in_force is None:  # a successor: its first agreement supersedes
        outcome = await act_on_successor(command, plan, make, hidden())
    else:
        stream, account = plan_stream(plan.plan_id), account_stream(plan.account_id)
        [outcome, *_] = await command.run_many(
            [Step(PLAN, stream, lambda s: decide(s[stream], make(s[stream], cmd.Parties.of(s[account]))))],
            account_id=plan.account_id,
            hidden=hidden(),
        )
    state = outcome.state
    return plan_out(state, written(response, outcome))
