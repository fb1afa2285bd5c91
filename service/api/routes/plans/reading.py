"""Reading plans: an account's plans, one plan as of any moment, its revision history and diffs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from service.api.commanding import Written, account_then, set_etag
from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import LAGGING, fresh
from service.api.routes.plans.resource import AsOf, PlanOut, diff_out, load_visible, plan_out
from service.commands.aggregates import PLAN, plan_stream
from service.domain import codec
from service.domain.errors import NotFound
from service.domain.plan.content import PlanContent
from service.domain.plan.sessions import session_base
from service.domain.plan.state import Plan
from service.domain.plan.view import Standing, standings
from service.projections.plans import account_plans

router = APIRouter(tags=["plans"])


class PlanRow(BaseModel):
    plan_id: str
    title: str
    horizon_from: int
    horizon_to: int
    status: Literal["current", "successor_pending", "superseded", "abandoned"] = Field(
        description="current: the account's plan (in force, or drafted as its first); successor_pending: drafted to "
        "supersede the current plan, which stays in force until this one's first agreement; superseded: replaced by "
        "`superseded_by`; abandoned: a successor given up before it was agreed."
    )
    superseded_by: str | None
    supersedes: str | None
    successor: str | None = Field(description="The successor being drafted to supersede this plan, if any.")
    in_force_revision: int | None
    pending_revision: int | None
    abandoned_at: datetime | None
    abandoned_by: str | None
    abandon_reason: str | None


@router.get(
    "/accounts/{account_id}/plans",
    operation_id="listPlans",
    summary="The account's plans (as of any moment): the current one first, then a successor being drafted, then "
    "superseded and abandoned ones (each newest first), which stay readable",
    response_model=list[PlanRow],
    responses=LAGGING,
)
async def list_plans(
    account_id: UUID,
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("plans"))],
    as_of: AsOf = None,
) -> list[PlanRow]:
    await account_then(runtime, actor, str(account_id), as_of)
    async with runtime.pool.acquire() as conn:
        ids = await account_plans(conn, str(account_id))
    folded = [(await runtime.repository.load(PLAN, plan_stream(pid), as_of=as_of)).state for pid in ids]
    return [plan_row(plan, standing) for plan, standing in standings(p for p in folded if p.exists)]


def plan_row(plan: Plan, standing: Standing) -> PlanRow:
    in_force, pending, abandoned = plan.in_force, plan.pending, plan.abandoned
    return PlanRow(
        plan_id=plan.plan_id,
        title=plan.title,
        horizon_from=plan.horizon_from,
        horizon_to=plan.horizon_to,
        status=standing.value,
        superseded_by=plan.superseded_by,
        supersedes=plan.supersedes,
        successor=plan.successor,
        in_force_revision=in_force.number if in_force else None,
        pending_revision=pending.number if pending else None,
        abandoned_at=abandoned.at if abandoned else None,
        abandoned_by=abandoned.by if abandoned else None,
        abandon_reason=abandoned.reason if abandoned else None,
    )


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
    set_etag(response, loaded.version)
    return plan_out(loaded.state, Written(version=loaded.version, position=loaded.position or None), as_of)


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
    comments: list[dict[str, Any]] = Field(
        description="Who asked what about which item, and who answered what: `answer` (with `answered_by`, "
        "`answered_at`) is the latest answer, `answers` every answer in order, each with `text`, `by` and `at`; "
        "`closed`, why one not answered is no longer open: `revised` (the manager proposed a new revision over the "
        "one it is on, sent back), `agreed` (a revision was agreed after it, its own or a later one, or a planning "
        "session was confirmed after it, also one that kept the plan as it is and made no revision), `superseded` "
        "or `abandoned` (the plan left force); null while open, or if answered first."
    )
    changes: dict[str, Any] = Field(
        description="Diff against the previous revision; a session's revision, against the revision in force it was "
        "recorded on (what its changes were decided against). Revision 0 is what the plan started from: nothing, or, "
        "for a successor, its predecessor's plan in force (if it had one), which its draft began as."
    )


@router.get(
    "/plans/{plan_id}/revisions",
    operation_id="listRevisions",
    summary="Revision history with the review trail",
    response_model=list[RevisionOut],
)
async def revisions(plan_id: UUID, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None) -> list[RevisionOut]:
    loaded, _ = await load_visible(runtime, actor, str(plan_id), as_of)
    plan: Plan = loaded.state
    out, previous = [], plan.origin  # a successor's first revision, against what it started from
    for r in plan.revisions:
        if r.session_id is not None:
            previous = session_base(plan, plan.sessions[r.session_id].based_on)
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
    summary="Items added, removed and changed (old → new) and budget deltas between two revisions (0 = what the plan "
    "started from: nothing, or a successor's predecessor's plan in force), as of any moment",
    response_model=dict[str, Any],
)
async def revision_diff(
    plan_id: UUID,
    runtime: RuntimeDep,
    actor: ActorDep,
    from_revision: Annotated[int, Query(alias="from", ge=0)],
    to_revision: Annotated[int, Query(alias="to", ge=0)],
    as_of: AsOf = None,
) -> dict[str, Any]:
    loaded, _ = await load_visible(runtime, actor, str(plan_id), as_of)
    plan: Plan = loaded.state

    def content(number: int) -> PlanContent:
        found = plan.content_of(number)
        if found is None:
            raise NotFound("revision-not-found", f"no revision {number}")
        return found

    return {"from": from_revision, "to": to_revision, **diff_out(content(from_revision), content(to_revision))}
