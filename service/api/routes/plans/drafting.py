"""The manager's side: starting a plan (or its successor), shaping the draft item by item, proposing it."""

from __future__ import annotations

from dataclasses import MISSING, fields
from decimal import Decimal
from typing import Annotated, Any, get_type_hints
from uuid import UUID

from fastapi import APIRouter, Body, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field, SkipValidation, StrictInt, ValidationError, create_model

from service.api.bodies import UNKNOWN_FIELD, RequestBody
from service.api.commanding import CommandDep, written
from service.api.ids import ITEM_ID
from service.api.moments import Day
from service.api.numbers import Amount
from service.api.problems import validation_problem
from service.api.routes.plans.resource import PlanOut, act, plan_out
from service.api.routes.plans.succession import found_plans
from service.commands.aggregates import PLAN, PLAN_REGISTER, account_stream, plan_register_stream, plan_stream
from service.commands.handler import Step
from service.domain.errors import Conflict, NotFound
from service.domain.plan import commands as cmd
from service.domain.plan.content import CLASS, ItemType
from service.domain.plan.decide import decide
from service.domain.plan.register import RegisterPlan
from service.domain.plan.register import decide as register_decide
from service.domain.plan.state import Plan

router = APIRouter(tags=["plans"])


class StartIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "Valves and flanges 2026–2028", "horizon_from": 2026, "horizon_to": 2028}]
        }
    )

    title: str = Field(min_length=1, max_length=200)
    horizon_from: StrictInt = Field(ge=2000, le=2100)
    horizon_to: StrictInt = Field(ge=2000, le=2100)
    supersedes: UUID | None = Field(
        None,
        description="The account's current plan this one replaces; its plan in force becomes the new draft. It stays "
        "in force until the supervisor agrees this plan's first revision, which then takes over its progress.",
    )


@router.post(
    "/accounts/{account_id}/plans",
    operation_id="startPlan",
    summary="Start a long-range plan (or a successor that supersedes the current one)",
    status_code=status.HTTP_201_CREATED,
    response_model=PlanOut,
)
async def start_plan(account_id: UUID, body: StartIn, response: Response, command: CommandDep) -> PlanOut:
    aid = str(account_id)
    plan_id = command.new_id("plan")
    stream, named = plan_stream(plan_id), account_stream(aid)
    supersedes = str(body.supersedes) if body.supersedes else None
    register = plan_register_stream(aid)
    found = await found_plans(command.runtime, aid)
    steps = [
        Step(
            PLAN,
            stream,
            lambda states: decide(
                states[stream],
                cmd.StartPlan(
                    actor=command.actor,
                    parties=cmd.Parties.of(states[named]),
                    plan_id=plan_id,
                    account_id=aid,
                    title=body.title,
                    horizon_from=body.horizon_from,
                    horizon_to=body.horizon_to,
                    supersedes=supersedes,
                    **_predecessor_content(states, supersedes, aid),
                ),
            ),
        ),
        Step(  # one current plan per account: decided against the register's version, so racing starts conflict
            PLAN_REGISTER,
            register,
            lambda states: register_decide(
                states[register],
                RegisterPlan(
                    by=command.actor.sub,
                    account_id=aid,
                    plan_id=plan_id,
                    supersedes=supersedes,
                    found=found,
                ),
            ),
        ),
    ]
    if supersedes:  # the predecessor stays in force until the successor's first agreement (succession.py)
        old = plan_stream(supersedes)
        steps.append(
            Step(
                PLAN,
                old,
                lambda states: decide(
                    states[old],
                    cmd.StartSuccessor(actor=command.actor, parties=cmd.Parties.of(states[named]), plan_id=plan_id),
                ),
            )
        )
    [outcome, *_] = await command.run_many(steps, account_id=aid)
    state = outcome.state
    response.headers["Location"] = f"/v1/plans/{plan_id}"
    return plan_out(state, written(response, outcome))


def _predecessor_content(states: dict[str, Any], supersedes: str | None, account_id: str) -> dict[str, Any]:
    """What a successor starts from: its predecessor's plan in force, or, when it never had one, its draft (the
    work is not lost), marked as agreed by no one."""
    if supersedes is None:
        return {}
    old: Plan = states[plan_stream(supersedes)]
    if not old.exists or old.account_id != account_id:
        raise NotFound("plan-not-found", "the plan to supersede is not a plan of this account")
    if old.superseded_by is not None:
        raise Conflict("plan-superseded", f"that plan was superseded by {old.superseded_by} already")
    if old.in_force:
        return {"starting_content": old.in_force.content}
    return {"starting_content": old.draft, "starting_agreed": False}


ItemTypePath = Annotated[ItemType, Path(description="goal, strategy, action, assumption, risk")]
ItemIdPath = Annotated[str, Path(**ITEM_ID)]

_DAYS = ("due",)  # kept by the domain as ISO date strings (checked there), documented as dates


def _hints(item_class: type) -> dict[str, Any]:
    """The item's field types, each amount read by the API's one rule for numbers (`Amount`)."""
    return {name: Amount if hint is Decimal else hint for name, hint in get_type_hints(item_class).items()}


def _model(item_class: type, name: str, hints: dict[str, Any], doc: str) -> type[BaseModel]:
    """A model of the item class's fields that `hints` names, with those types."""
    return create_model(  # type: ignore[call-overload, no-any-return]
        name,
        __base__=RequestBody,
        __doc__=doc,
        **{
            f.name: (hints[f.name], ... if f.default is MISSING else f.default)
            for f in fields(item_class)
            if f.name in hints
        },
    )


def _body_model(item_class: type) -> type[BaseModel]:
    """The body of an item of this class, as documented: its fields but the id, which the path names. Made from
    the domain's dataclass, so the documented shape cannot drift from the one checked."""
    hints = _hints(item_class) | {name: Day for name in _DAYS if name in item_class.__dataclass_fields__}
    return _model(
        item_class,
        f"{item_class.__name__}Item",
        {name: hint for name, hint in hints.items() if name != "item_id"},
        f"The fields of a plan {item_class.__name__.lower()} (assumptions and risks are notes).",
    )


_CHECKS = {
    item_type: _model(item_class, f"{item_class.__name__}Check", _hints(item_class), "An item as checked.")
    for item_type, item_class in CLASS.items()
}
_BODIES = tuple(_body_model(c) for c in dict.fromkeys(CLASS.values()))
# Documented as any of the item shapes; checked against the one the item type names (item_from_body), since a
# body fitting another type's shape is still wrong for this one.
ItemBody = Annotated[_BODIES[0] | _BODIES[1] | _BODIES[2] | _BODIES[3], SkipValidation]  # type: ignore[valid-type]

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
    body: Annotated[ItemBody, Body(description="The fields of the item type the path names.")],
    response: Response,
    command: CommandDep,
) -> PlanOut:
    item = item_from_body(item_type, item_id, body)
    return await act(
        command,
        plan_id,
        response,
        lambda s, p: cmd.PutItem(actor=command.actor, parties=p, item_type=item_type, item=item),
    )


def item_from_body(item_type: ItemType, item_id: str, body: Any, at: tuple[str | int, ...] = ("body",)) -> Any:
    """The item's fields (found `at` that place in the request) as its dataclass; bad input is a problem naming
    each field from the body's root."""
    if not isinstance(body, dict):
        raise validation_problem(
            [{"loc": at, "msg": f"must be an object: the fields of the {item_type} item", "type": "dict_type"}]
        )
    if "item_id" in body:  # named by the path (a session's change): not one of the body's fields, whatever its value
        raise validation_problem([{"loc": (*at, "item_id"), "msg": UNKNOWN_FIELD, "type": "extra_forbidden"}])
    try:
        checked = _CHECKS[item_type].model_validate({**body, "item_id": item_id})
    except ValidationError as error:
        raise validation_problem([{**e, "loc": (*at, *e["loc"])} for e in error.errors()]) from None
    return CLASS[item_type](**dict(checked))


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


class NoteIn(RequestBody):
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
