"""Long-range account plans and their joint planning: draft, propose, comment, request changes, agree; sessions;
progress; the plan in force, as of any moment, with the review trail and the diff between revisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter, ValidationError

from service.api.commanding import Command, CommandDep, Written, today, visible_account, written
from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import fresh
from service.api.problems import validation_problem
from service.commands.aggregates import PLAN, plan_stream
from service.commands.handler import Step
from service.domain import codec
from service.domain.account.access import list_scope
from service.domain.account.state import Account
from service.domain.actors import Actor
from service.domain.errors import Conflict, NotFound
from service.domain.plan import commands as cmd
from service.domain.plan.content import CLASS, ItemType, PlanContent, diff
from service.domain.plan.decide import decide
from service.domain.plan.state import ActionStatus, ItemChange, Plan
from service.domain.plan.view import action_state, goal_status, period_plan
from service.runtime import Runtime

router = APIRouter(tags=["plans"])

AsOf = Annotated[AwareDatetime | None, Query(description="The plan as kamplan knew it at this moment.")]


def parties(account: Account) -> cmd.Parties:
    return cmd.Parties(owner=account.owner, team=account.team)


async def load_visible(
    runtime: Runtime, actor: Actor, plan_id: str, as_of: datetime | None = None
) -> tuple[Any, Account]:
    current = await runtime.repository.load(PLAN, plan_stream(plan_id))
    if not current.state.exists:
        raise NotFound("plan-not-found", "no such plan, or not one you may see")
    account = await visible_account(runtime, actor, current.state.account_id)
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
    data["budget"] = {p: {c: format(v, "f") for c, v in by.items()} for p, by in content.budget().items()}
    return data


def diff_out(old: PlanContent, new: PlanContent) -> dict[str, Any]:
    return codec.to_dict(diff(old, new))


class PlanOut(Written):
    plan_id: str
    account_id: str
    title: str
    horizon: list[int]
    superseded_by: str | None
    supersedes: str | None
    in_force: dict[str, Any] | None = Field(
        description="The agreed revision in force: number, who agreed when, content with targets against "
        "actuals, actions with status and overdue flag, budget per period."
    )
    under_discussion: dict[str, Any] | None = Field(
        description="The revision waiting for review: number, who proposed it when, its diff to the plan in force."
    )
    draft_changes: dict[str, Any] = Field(description="What the manager's draft changes against the plan in force.")
    overdue_actions: list[str]
    open_comments: list[dict[str, Any]]
    as_of: datetime | None = None


def plan_out(plan: Plan, base: Written, as_of: datetime | None = None) -> PlanOut:
    day = as_of.date() if as_of else today()
    in_force, pending = plan.in_force, plan.pending
    base_content = in_force.content if in_force else PlanContent()
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
        in_force=force,
        under_discussion={
            "revision": pending.number,
            "proposed_by": pending.proposed_by,
            "proposed_at": pending.proposed_at,
            "note": pending.note,
            "diff": diff_out(base_content, pending.content),
        }
        if pending
        else None,
        draft_changes=diff_out(base_content, plan.draft),
        overdue_actions=sorted(a.item_id for a in base_content.actions.values() if action_state(plan, a, day).overdue),
        open_comments=[codec.to_dict(c) for c in plan.comments if c.answer is None],
        as_of=as_of,
    )


async def act(command: Command, plan_id: UUID, response: Response, make: Callable[[Plan, cmd.Parties], Any]) -> PlanOut:
    _, account = await load_visible(command.runtime, command.actor, str(plan_id))
    who = parties(account)
    outcome = await command.run(PLAN, plan_stream(str(plan_id)), lambda s: decide(s, make(s, who)))
    state = outcome.state or (await command.runtime.repository.load(PLAN, plan_stream(str(plan_id)))).state
    return plan_out(state, written(response, outcome))


class StartIn(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"title": "Valves and flanges 2026–2028", "horizon_from": 2026, "horizon_to": 2028}]
        }
    }

    title: str = Field(min_length=1, max_length=200)
    horizon_from: int = Field(ge=2000, le=2100)
    horizon_to: int = Field(ge=2000, le=2100)
    supersedes: str | None = Field(
        None, description="The account's current plan this one replaces; its plan in force becomes the new draft."
    )


@router.post(
    "/accounts/{account_id}/plans",
    operation_id="startPlan",
    summary="Start a long-range plan (or a successor that supersedes the current one)",
    status_code=status.HTTP_201_CREATED,
    response_model=PlanOut,
)
async def start_plan(account_id: UUID, body: StartIn, response: Response, command: CommandDep) -> PlanOut:
    account = (await visible_account(command.runtime, command.actor, str(account_id))).state
    plan_id = command.new_id("plan")
    stream = plan_stream(plan_id)
    who = parties(account)
    steps = [
        Step(
            PLAN,
            stream,
            lambda states: decide(
                states[stream],
                cmd.StartPlan(
                    actor=command.actor,
                    parties=who,
                    plan_id=plan_id,
                    account_id=account.account_id,
                    title=body.title,
                    horizon_from=body.horizon_from,
                    horizon_to=body.horizon_to,
                    supersedes=body.supersedes,
                    starting_content=_predecessor_content(states, body.supersedes, account.account_id),
                ),
            ),
        )
    ]
    if body.supersedes:
        old = plan_stream(body.supersedes)
        steps.append(
            Step(
                PLAN,
                old,
                lambda states: decide(
                    states[old], cmd.SupersedePlan(actor=command.actor, parties=who, by_plan=plan_id)
                ),
            )
        )
    [outcome, *_] = await command.handler.execute_many(
        steps, actor=command.actor.sub, metadata=command.metadata, idempotency=command.idempotency
    )
    state = outcome.state or (await command.runtime.repository.load(PLAN, stream)).state
    response.headers["Location"] = f"/v1/plans/{plan_id}"
    return plan_out(state, written(response, outcome))


def _predecessor_content(states: dict[str, Any], supersedes: str | None, account_id: str) -> PlanContent | None:
    if supersedes is None:
        return None
    old: Plan = states[plan_stream(supersedes)]
    if not old.exists or old.account_id != account_id:
        raise NotFound("plan-not-found", "the plan to supersede is not a plan of this account")
    if old.superseded_by is not None:
        raise Conflict("plan-superseded", f"that plan was superseded by {old.superseded_by} already")
    return old.in_force.content if old.in_force else old.draft


class PlanRow(BaseModel):
    plan_id: str
    title: str
    horizon_from: int
    horizon_to: int
    superseded_by: str | None
    in_force_revision: int | None
    pending_revision: int | None


@router.get(
    "/accounts/{account_id}/plans",
    operation_id="listPlans",
    summary="The account's plans, the current one first; superseded ones stay readable",
    response_model=list[PlanRow],
)
async def list_plans(
    account_id: UUID, runtime: RuntimeDep, actor: ActorDep, _: Annotated[int | None, Depends(fresh("plans"))]
) -> list[PlanRow]:
    await visible_account(runtime, actor, str(account_id))
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM read.plans WHERE account_id = $1 ORDER BY superseded_by IS NOT NULL, started_at DESC",
            str(account_id),
        )
    return [PlanRow(**{k: r[k] for k in PlanRow.model_fields}) for r in rows]


@router.get(
    "/plans/{plan_id}",
    operation_id="getPlan",
    summary="The plan in force, what is under discussion, progress",
    response_model=PlanOut,
)
async def get_plan(
    plan_id: UUID, response: Response, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None
) -> PlanOut:
    loaded, _ = await load_visible(runtime, actor, str(plan_id), as_of)
    response.headers["ETag"] = f'"{loaded.version}"'
    return plan_out(loaded.state, Written(version=loaded.version, position=loaded.position or None), as_of)


ItemTypePath = Annotated[ItemType, Path(description="goal, strategy, action, assumption, risk")]
ItemIdPath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]

ITEM_EXAMPLES = {
    "goal": {
        "period": "2027",
        "kind": "volume",
        "description": "Purchases from us",
        "target": "32000000",
        "unit": "RUB",
    },
    "action": {
        "period": "2027",
        "what": "Stock in the regional warehouse",
        "owner": "kam",
        "due": "2027-03-31",
        "cost": "450000",
        "currency": "RUB",
    },
    "strategy": {"text": "Become the buyer's first source for ball valves", "period": None},
    "risk": {"text": "A federal distributor undercuts prices"},
}


@router.put(
    "/plans/{plan_id}/draft/{item_type}/{item_id}",
    operation_id="putDraftItem",
    summary="Add or change an item of the draft (owner manager)",
    response_model=PlanOut,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"examples": {k: {"value": v} for k, v in ITEM_EXAMPLES.items()}}}
        }
    },
)
async def put_item(
    plan_id: UUID,
    item_type: ItemTypePath,
    item_id: ItemIdPath,
    body: dict[str, Any],
    response: Response,
    command: CommandDep,
) -> PlanOut:
    item = _item(item_type, item_id, body)
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.PutItem(actor=command.actor, parties=p, item_type=item_type, item=item),
    )


def _item(item_type: ItemType, item_id: str, body: dict[str, Any]) -> Any:
    """The body as the item's dataclass, with problems naming the field for bad input."""
    try:
        return TypeAdapter(CLASS[item_type]).validate_python({**body, "item_id": item_id})
    except ValidationError as error:
        raise validation_problem([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from None


@router.delete(
    "/plans/{plan_id}/draft/{item_type}/{item_id}",
    operation_id="removeDraftItem",
    summary="Remove an item from the draft (owner manager)",
    response_model=PlanOut,
)
async def remove_item(
    plan_id: UUID, item_type: ItemTypePath, item_id: ItemIdPath, response: Response, command: CommandDep
) -> PlanOut:
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.RemoveItem(actor=command.actor, parties=p, item_type=item_type, item_id=item_id),
    )


class NoteIn(BaseModel):
    note: str = Field("", max_length=2000)


@router.post(
    "/plans/{plan_id}/revisions",
    operation_id="proposeRevision",
    summary="Propose the draft as a new revision: it goes to the supervisor's queue (owner manager)",
    response_model=PlanOut,
)
async def propose(plan_id: UUID, body: NoteIn, response: Response, command: CommandDep) -> PlanOut:
    return await act(
        command, plan_id, response, lambda s, p: cmd.ProposeRevision(actor=command.actor, parties=p, note=body.note)
    )


class CommentIn(BaseModel):
    item_id: str | None = Field(None, description="The item commented on; null for the revision as a whole.")
    text: str = Field(min_length=1, max_length=2000)


@router.post(
    "/plans/{plan_id}/revisions/{revision}/comments",
    operation_id="commentRevision",
    summary="Comment on a revision or one of its items (supervisor)",
    response_model=PlanOut,
)
async def comment(plan_id: UUID, revision: int, body: CommentIn, response: Response, command: CommandDep) -> PlanOut:
    comment_id = command.new_id("comment")
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.CommentOnRevision(
            actor=command.actor,
            parties=p,
            comment_id=comment_id,
            revision=revision,
            item_id=body.item_id,
            text=body.text,
        ),
    )


class AnswerIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


@router.post(
    "/plans/{plan_id}/comments/{comment_id}/answer",
    operation_id="answerComment",
    summary="Answer a supervisor's comment (owner manager)",
    response_model=PlanOut,
)
async def answer(plan_id: UUID, comment_id: str, body: AnswerIn, response: Response, command: CommandDep) -> PlanOut:
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.AnswerComment(actor=command.actor, parties=p, comment_id=comment_id, text=body.text),
    )


class DecisionIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


@router.post(
    "/plans/{plan_id}/revisions/{revision}/request-changes",
    operation_id="requestChanges",
    summary="Send the revision back to the manager with what to change (supervisor)",
    response_model=PlanOut,
)
async def request_changes(
    plan_id: UUID, revision: int, body: DecisionIn, response: Response, command: CommandDep
) -> PlanOut:
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.RequestChanges(actor=command.actor, parties=p, revision=revision, note=body.note),
    )


@router.post(
    "/plans/{plan_id}/revisions/{revision}/agree",
    operation_id="agreeRevision",
    summary="Agree the revision: it becomes the plan in force (the team's supervisor or an admin)",
    response_model=PlanOut,
)
async def agree(plan_id: UUID, revision: int, body: NoteIn, response: Response, command: CommandDep) -> PlanOut:
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.AgreeRevision(actor=command.actor, parties=p, revision=revision, note=body.note),
    )


class RevisionOut(BaseModel):
    revision: int
    status: str
    proposed_by: str
    proposed_at: datetime | None
    note: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    session_id: str | None
    comments: list[dict[str, Any]] = Field(description="Who asked what about which item, and who answered what.")
    changes: dict[str, Any] = Field(description="Diff against the previous revision.")


@router.get(
    "/plans/{plan_id}/revisions",
    operation_id="listRevisions",
    summary="Revision history with the review trail",
    response_model=list[RevisionOut],
)
async def revisions(plan_id: UUID, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None) -> list[RevisionOut]:
    loaded, _ = await load_visible(runtime, actor, str(plan_id), as_of)
    plan: Plan = loaded.state
    out, previous = [], PlanContent()
    for r in plan.revisions:
        out.append(
            RevisionOut(
                revision=r.number,
                status=r.status.value,
                proposed_by=r.proposed_by,
                proposed_at=r.proposed_at,
                note=r.note,
                decided_by=r.decided_by,
                decided_at=r.decided_at,
                decision_note=r.decision_note,
                session_id=r.session_id,
                comments=[codec.to_dict(c) for c in plan.comments if c.revision == r.number],
                changes=diff_out(previous, r.content),
            )
        )
        previous = r.content
    return out


@router.get(
    "/plans/{plan_id}/diff",
    operation_id="diffRevisions",
    summary="Items added, removed and changed (old → new) and budget deltas between two revisions (0 = empty)",
    response_model=dict[str, Any],
)
async def revision_diff(
    plan_id: UUID,
    runtime: RuntimeDep,
    actor: ActorDep,
    from_revision: Annotated[int, Query(alias="from", ge=0)],
    to_revision: Annotated[int, Query(alias="to", ge=0)],
) -> dict[str, Any]:
    loaded, _ = await load_visible(runtime, actor, str(plan_id))
    plan: Plan = loaded.state

    def content(number: int) -> PlanContent:
        if number == 0:
            return PlanContent()
        revision = plan.revision(number)
        if revision is None:
            raise NotFound("revision-not-found", f"no revision {number}")
        return revision.content

    return {"from": from_revision, "to": to_revision, **diff_out(content(from_revision), content(to_revision))}


class ChangeIn(BaseModel):
    op: str = Field(pattern="^(put|remove)$")
    item_type: ItemType
    item_id: str = Field(min_length=1, max_length=100)
    item: dict[str, Any] | None = None


class SessionIn(BaseModel):
    on: date
    participants: list[str] = Field(min_length=1, max_length=20)
    decisions: list[str] = Field(min_length=1, max_length=50)
    changes: list[ChangeIn] = Field(default_factory=list, max_length=200)


class SessionWritten(PlanOut):
    session_id: str


@router.post(
    "/plans/{plan_id}/sessions",
    operation_id="recordSession",
    summary="Record a joint planning session; the other party's confirmation puts its changes in force",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionWritten,
)
async def record_session(plan_id: UUID, body: SessionIn, response: Response, command: CommandDep) -> SessionWritten:
    session_id = command.new_id("session")
    changes = tuple(
        ItemChange(
            op=c.op,
            item_type=c.item_type.value,
            item_id=c.item_id,
            item=codec.to_dict(_item(c.item_type, c.item_id, c.item or {})) if c.op == "put" else None,
        )
        for c in body.changes
    )
    day = today()
    out = await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.RecordSession(
            actor=command.actor,
            parties=p,
            session_id=session_id,
            on=body.on,
            today=day,
            participants=tuple(body.participants),
            decisions=tuple(body.decisions),
            changes=changes,
        ),
    )
    return SessionWritten(**out.model_dump(), session_id=session_id)


@router.post(
    "/plans/{plan_id}/sessions/{session_id}/confirm",
    operation_id="confirmSession",
    summary="The other party confirms the session: its changes become a revision agreed and in force",
    response_model=PlanOut,
)
async def confirm_session(plan_id: UUID, session_id: str, response: Response, command: CommandDep) -> PlanOut:
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.ConfirmSession(actor=command.actor, parties=p, session_id=session_id),
    )


class ActionStatusIn(BaseModel):
    status: ActionStatus
    note: str = Field("", max_length=1000)
    on: date


@router.put(
    "/plans/{plan_id}/actions/{action_id}/status",
    operation_id="setActionStatus",
    summary="Mark an action of the plan in force done or slipped",
    response_model=PlanOut,
)
async def set_action_status(
    plan_id: UUID, action_id: str, body: ActionStatusIn, response: Response, command: CommandDep
) -> PlanOut:
    day = today()
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.SetActionStatus(
            actor=command.actor,
            parties=p,
            action_id=action_id,
            status=body.status,
            note=body.note,
            on=body.on,
            today=day,
        ),
    )


class ActualIn(BaseModel):
    value: Decimal
    source: str = Field("", max_length=500, examples=["ERP purchase history"])
    on: date


@router.put(
    "/plans/{plan_id}/goals/{goal_id}/actual",
    operation_id="recordGoalActual",
    summary="Record a goal's actual (entered by hand, or from the ERP once its webhook lands)",
    response_model=PlanOut,
)
async def record_actual(
    plan_id: UUID, goal_id: str, body: ActualIn, response: Response, command: CommandDep
) -> PlanOut:
    day = today()
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.RecordGoalActual(
            actor=command.actor, parties=p, goal_id=goal_id, value=body.value, source=body.source, on=body.on, today=day
        ),
    )


class PeriodOut(BaseModel):
    period: str
    goals: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    budget: dict[str, str]


@router.get(
    "/plans/{plan_id}/periods/{period}",
    operation_id="getPeriodPlan",
    summary="The period plan (a year or a quarter) derived from the plan in force: targets, actions, budget",
    response_model=PeriodOut,
)
async def get_period(
    plan_id: UUID,
    period: Annotated[str, Path(pattern=r"^\d{4}(-Q[1-4])?$")],
    runtime: RuntimeDep,
    actor: ActorDep,
    as_of: AsOf = None,
) -> PeriodOut:
    loaded, _ = await load_visible(runtime, actor, str(plan_id), as_of)
    plan: Plan = loaded.state
    if int(period[:4]) not in range(plan.horizon_from, plan.horizon_to + 1):
        raise NotFound("period-outside-horizon", f"{period} is outside {plan.horizon_from}–{plan.horizon_to}")
    content = plan.in_force.content if plan.in_force else PlanContent()
    derived = period_plan(plan, content, period, as_of.date() if as_of else today())
    return PeriodOut(
        period=period,
        goals=[
            {**codec.to_dict(g.goal), "actual": str(g.actual) if g.actual is not None else None, "achieved": g.achieved}
            for g in derived.goals
        ],
        actions=[{**codec.to_dict(a.action), "status": a.status.value, "overdue": a.overdue} for a in derived.actions],
        budget={k: format(v, "f") for k, v in derived.budget.items()},
    )


class ReviewItem(BaseModel):
    plan_id: str
    account_id: str
    account_name: str
    manager: str
    title: str
    revision: int
    proposed_by: str
    proposed_at: datetime | None
    waiting_days: int | None


QUEUE = """
SELECT p.plan_id, p.account_id, a.name AS account_name, a.owner AS manager, p.title,
       p.pending_revision AS revision, p.pending_by AS proposed_by, p.pending_since AS proposed_at
FROM read.plans p JOIN read.accounts a USING (account_id)
WHERE p.pending_revision IS NOT NULL AND p.superseded_by IS NULL
  AND ($1::text IS NULL OR a.owner = $1) AND ($2::text IS NULL OR a.team = $2)
ORDER BY p.pending_since, p.plan_id
"""


@router.get(
    "/plan-reviews",
    operation_id="reviewQueue",
    summary="The supervisor's queue: proposed revisions waiting for review, oldest first",
    response_model=list[ReviewItem],
)
async def review_queue(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("plans", "accounts"))],
    manager: str | None = None,
    team: str | None = None,
) -> list[ReviewItem]:
    scoped = list_scope(actor, manager, team)
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(QUEUE, *scoped) if scoped else []
    now = datetime.now().astimezone()
    return [
        ReviewItem(**dict(r), waiting_days=(now - r["proposed_at"]).days if r["proposed_at"] else None) for r in rows
    ]


class BudgetRow(BaseModel):
    team: str | None
    manager: str
    period: str
    currency: str
    budget: str
    done: str = Field(description="Cost of the actions marked done.")
    actions: int


BUDGETS = """
SELECT a.team, a.owner AS manager, x.period, x.currency, sum(x.cost) AS budget,
       sum(x.cost) FILTER (WHERE x.status = 'done') AS done, count(*) AS actions
FROM read.plan_actions x JOIN read.accounts a USING (account_id)
WHERE NOT x.superseded AND ($1::text IS NULL OR a.owner = $1) AND ($2::text IS NULL OR a.team = $2)
GROUP BY a.team, a.owner, x.period, x.currency
ORDER BY a.team NULLS LAST, a.owner, x.period, x.currency
"""


@router.get(
    "/plan-budgets",
    operation_id="planBudgets",
    summary="Budget of the supplier's actions in the plans in force, per team, manager, period and currency",
    response_model=list[BudgetRow],
)
async def plan_budgets(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("plans", "accounts"))],
    manager: str | None = None,
    team: str | None = None,
) -> list[BudgetRow]:
    scoped = list_scope(actor, manager, team)
    async with runtime.pool.acquire() as conn:
        rows = await conn.fetch(BUDGETS, *scoped) if scoped else []
    return [
        BudgetRow(
            team=r["team"],
            manager=r["manager"],
            period=r["period"],
            currency=r["currency"],
            budget=format(r["budget"], "f"),
            done=format(r["done"] or 0, "f"),
            actions=r["actions"],
        )
        for r in rows
    ]
