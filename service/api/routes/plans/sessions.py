"""Joint planning sessions: recorded by one party, put in force by the other's confirmation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep
from service.api.days import latest_day
from service.api.deps import ActorDep, RuntimeDep
from service.api.ids import ITEM_ID
from service.api.moments import Day
from service.api.problems import validation_problem
from service.api.routes.plans.drafting import ItemBody, item_from_body
from service.api.routes.plans.resource import AsOf, PlanOut, act, act_on, load_visible, plan_to_act_on
from service.commands.aggregates import ACCOUNT, BUYING_CENTER, account_stream, buying_center_stream
from service.domain import codec
from service.domain.participants import OUR_PARTICIPANT_LIMIT
from service.domain.plan import commands as cmd
from service.domain.plan.content import ItemType
from service.domain.plan.state import ItemChange, Plan, Session
from service.domain.plan.view import SessionStatus, confirmation, session_status
from service.runtime import Runtime

router = APIRouter(tags=["plans"])


class ChangeIn(RequestBody):
    op: str = Field(pattern="^(put|remove)$")
    item_type: ItemType
    item_id: str = Field(**ITEM_ID)
    item: ItemBody | None = Field(None, description="For `put`: the fields of the item type named.")


MemberId = Annotated[str, Field(max_length=200)]
OurParticipant = Annotated[str, Field(max_length=OUR_PARTICIPANT_LIMIT)]


class SessionIn(RequestBody):
    on: Day
    participants: list[MemberId] = Field(
        default_factory=list,
        max_length=20,
        description="The client's people: buying-center member ids, as an interaction's (their names stay in the map, "
        "and go with them when they are forgotten). A name is no member id: 404 `member-not-in-buying-center`.",
    )
    our_participants: list[OurParticipant] = Field(
        default_factory=list,
        max_length=20,
        description="People on our side (trimmed; blank ones are dropped). Someone must have taken part: a member in "
        "`participants` or one of us here.",
    )
    decisions: list[str] = Field(min_length=1, max_length=50)
    changes: list[ChangeIn] = Field(default_factory=list, max_length=200)


class SessionWritten(PlanOut):
    session_id: str


class SessionOut(BaseModel):
    session_id: str
    on: str = Field(description="The day the parties sat down.")
    participants: list[str] = Field(description="Buying-center member ids.")
    our_participants: list[str] = Field(description="People on our side.")
    named_participants: list[str] = Field(
        description="Who took part, in free text, of a session recorded before `participants` were member ids: "
        "stored in clear, so a forget does not reach them (the log is immutable); empty for any session since."
    )
    decisions: list[str]
    changes: list[dict[str, Any]] = Field(description="The changes, each put or remove of one item, in order.")
    recorded_by: str
    recorded_role: str = Field(description="manager or supervisor: the other party confirms.")
    recorded_at: datetime | None = Field(
        description="When it was recorded: when its recorder put it to the other party, the `proposed_at` of the "
        "revision its confirmation makes."
    )
    based_on: int = Field(description="The revision in force it was recorded on (0: none).")
    confirmed_by: str | None = Field(description="Null while it waits for the other party's confirmation.")
    revision: int | None = Field(
        description="The revision its confirmation put in force; null while it waits, and for a session confirmed "
        "that changed nothing in the plan in force (its minutes stand, and no revision is made)."
    )
    status: SessionStatus = Field(
        description="waiting: for the other party's confirmation (refused while a successor of the plan is drafted, "
        "taken again if that successor is abandoned); confirmed; outdated: another revision was agreed since "
        "`based_on`, so its changes were decided against a plan no longer in force; superseded: the plan left force "
        "for its successor (`superseded_by` of the plan) before the confirmation; abandoned: the plan, a successor, "
        "was given up. An outdated, superseded or abandoned session can no longer be confirmed: record it again, on "
        "the plan in force."
    )
    confirmable_by: Literal["manager", "supervisor"] | None = Field(
        description="Who may confirm it now: the other party, `supervisor` (the team's, or an admin) for a session "
        "the manager recorded, `manager` (the account's owner) for one the supervisor recorded; null when nobody may, "
        "`unconfirmable_because` saying why. Unlike `status` it is not final: it is judged by the account's parties "
        "(as they were at `as_of`, if given)."
    )
    unconfirmable_because: str | None = Field(
        description="Null when `confirmable_by` is set; else why no one may confirm it now, as a problem type "
        "(docs/problems.md), the final reason first: a confirmation of a session both outdated and left by its "
        "recorder meets `session-recorder-not-a-party`, which a hand-back would not mend. For a session no longer "
        "waiting `session-confirmed`, `session-outdated`, "
        "`plan-superseded` or `plan-abandoned`, final; for a waiting one `successor-pending` (until the successor is "
        "abandoned), `session-recorder-not-a-party` (its recorder is no party since a hand-over: record it again, or "
        "hand the account back) or `revision-pending` (until the revision in review is agreed or sent back)."
    )


@router.get(
    "/plans/{plan_id}/sessions",
    operation_id="listSessions",
    summary="The plan's joint planning sessions, waiting, confirmed or no longer confirmable: what the confirming "
    "party reads first",
    response_model=list[SessionOut],
)
async def list_sessions(plan_id: UUID, runtime: RuntimeDep, actor: ActorDep, as_of: AsOf = None) -> list[SessionOut]:
    loaded, account = await load_visible(runtime, actor, str(plan_id), as_of)
    plan: Plan = loaded.state
    if as_of is not None:  # the parties then: the plan existed, so did its account
        account = (await runtime.repository.load(ACCOUNT, account_stream(plan.account_id), as_of=as_of)).state
    parties = cmd.Parties.of(account)
    return [_session_out(plan, s, parties) for s in plan.sessions.values()]  # in the order recorded


def _session_out(plan: Plan, session: Session, parties: cmd.Parties) -> SessionOut:
    may = confirmation(plan, session, parties)
    return SessionOut.model_validate(
        {
            **codec.to_dict(session),
            "on": session.on.isoformat(),
            "status": session_status(plan, session),
            "confirmable_by": may.by,
            "unconfirmable_because": may.refused,
        }
    )


@router.post(
    "/plans/{plan_id}/sessions",
    operation_id="recordSession",
    summary="Record a joint planning session; the other party's confirmation puts its changes in force",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionWritten,
)
async def record_session(plan_id: UUID, body: SessionIn, response: Response, command: CommandDep) -> SessionWritten:
    session_id = command.new_id("session")
    if stray := [i for i, c in enumerate(body.changes) if c.op == "remove" and c.item is not None]:
        raise validation_problem(  # a remove takes no item: dropping it unseen would lose what the caller meant
            [
                {"loc": ("body", "changes", i, "item"), "msg": "a remove takes no item", "type": "remove_takes_no_item"}
                for i in stray
            ]
        )
    changes = tuple(
        ItemChange(
            op=c.op,
            item_type=c.item_type.value,
            item_id=c.item_id,
            item=codec.to_dict(item_from_body(c.item_type, c.item_id, c.item, ("body", "changes", i, "item")))
            if c.op == "put"
            else None,
        )
        for i, c in enumerate(body.changes)
    )
    plan = await plan_to_act_on(command, plan_id)
    day, members = latest_day(), await _members(command.runtime, plan)
    out = await act_on(
        command,
        plan,
        response,
        lambda s, p: cmd.RecordSession(
            actor=command.actor,
            parties=p,
            session_id=session_id,
            on=body.on,
            today=day,
            participants=tuple(body.participants),
            our_participants=tuple(body.our_participants),
            decisions=tuple(body.decisions),
            changes=changes,
            members=members,
        ),
    )
    return SessionWritten(**out.model_dump(), session_id=session_id)


@router.post(
    "/plans/{plan_id}/sessions/{session_id}/confirm",
    operation_id="confirmSession",
    summary="The other party confirms the session: its changes become a revision agreed and in force, or none when "
    "they change nothing in the plan in force",
    response_model=PlanOut,
)
async def confirm_session(plan_id: UUID, session_id: str, response: Response, command: CommandDep) -> PlanOut:
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.ConfirmSession(actor=command.actor, parties=p, session_id=session_id),
    )


async def _members(runtime: Runtime, plan: Plan) -> frozenset[str]:
    """The people of the plan's account's buying center, whom a session may name. Read before the command, as a member
    once added stays in the map (one who leaves keeps their node), so a write meanwhile takes none away; whether the
    actor may see the plan, the handler judges."""
    return frozenset((await runtime.repository.load(BUYING_CENTER, buying_center_stream(plan.account_id))).state.people)
