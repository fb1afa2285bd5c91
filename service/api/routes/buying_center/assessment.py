"""What we know of a member: roles, attitude and influence, buying criteria, problems, each with its source."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import ConfigDict, Field, StrictInt

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep, company_settings
from service.api.routes.buying_center.resource import (
    CitationIn,
    MemberWritten,
    act_on_member,
    cite,
)
from service.domain.buying_center import commands as cmd
from service.domain.buying_center.state import MemberProblem

router = APIRouter(tags=["buying center"])


class MemberAssessmentIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "attitude": 1,
                    "influence": 5,
                    "citation": {"kind": "interaction", "ref": "meeting 2026-05-20", "note": "backed the trial"},
                }
            ]
        }
    )

    roles: set[str] | None = Field(
        None,
        description="Their roles, all of them: codes from the company's role set, and any retired role they hold "
        "already (`retired_roles`), which they keep if re-sent; a retired role they do not hold is a 422 "
        "`role-retired`.",
    )
    influence: StrictInt | None = Field(None, ge=1, le=5)
    attitude: StrictInt | None = Field(None, ge=-2, le=2)
    attitude_to_competitor: StrictInt | None = Field(None, ge=-2, le=2)
    citation: CitationIn | None = Field(None, description="The interaction or document that justified the change.")


@router.post(
    "/accounts/{account_id}/buying-center/members/{member_id}/assessment",
    operation_id="assessMember",
    summary="Change roles, influence or attitudes, citing why",
    response_model=MemberWritten,
)
async def assess_member(
    account_id: UUID, member_id: str, body: MemberAssessmentIn, response: Response, command: CommandDep
) -> MemberWritten:
    settings = await company_settings(command.runtime)
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.AssessMember(
            actor=command.actor,
            member_id=member_id,
            roles=frozenset(body.roles) if body.roles is not None else None,
            influence=body.influence,
            attitude=body.attitude,
            attitude_to_competitor=body.attitude_to_competitor,
            citation=cite(body.citation),
            known_roles=settings.role_codes,
            retired_roles=settings.retired_role_codes,
        ),
        response,
        member_id,
        settings,
    )


class CriteriaIn(RequestBody):
    stated: list[str] = Field(default_factory=list, max_length=30, description="What the person says matters.")
    observed: list[str] = Field(default_factory=list, max_length=30, description="What we see actually matters.")
    citation: CitationIn | None = None


@router.put(
    "/accounts/{account_id}/buying-center/members/{member_id}/criteria",
    operation_id="recordCriteria",
    summary="Stated and observed decision criteria",
    response_model=MemberWritten,
)
async def record_criteria(
    account_id: UUID, member_id: str, body: CriteriaIn, response: Response, command: CommandDep
) -> MemberWritten:
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.RecordCriteria(
            actor=command.actor,
            member_id=member_id,
            stated=tuple(body.stated),
            observed=tuple(body.observed),
            citation=cite(body.citation),
        ),
        response,
        member_id,
    )


class MemberProblemIn(RequestBody):
    problem: str = Field(min_length=1, max_length=1000)
    consequence: str = Field("", max_length=1000)


class MemberProblemsIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"problems": [{"problem": "Filters clog in winter", "consequence": "Warranty claims on engines"}]}
            ]
        }
    )

    problems: list[MemberProblemIn] = Field(max_length=30)
    citation: CitationIn | None = None


@router.put(
    "/accounts/{account_id}/buying-center/members/{member_id}/problems",
    operation_id="recordMemberProblems",
    summary="The person's problems and their consequences",
    response_model=MemberWritten,
)
async def record_problems(
    account_id: UUID, member_id: str, body: MemberProblemsIn, response: Response, command: CommandDep
) -> MemberWritten:
    problems = tuple(MemberProblem(problem=p.problem, consequence=p.consequence) for p in body.problems)
    return await act_on_member(
        command,
        account_id,
        lambda _: cmd.RecordProblems(
            actor=command.actor, member_id=member_id, problems=problems, citation=cite(body.citation)
        ),
        response,
        member_id,
    )
