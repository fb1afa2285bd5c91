"""Company settings: key-account ceiling, hand-over triggers, buying-center roles, dossier templates, coverage rules.

Each is event-sourced: changing one is an event with its admin, and `?as_of=` shows what was in force.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep, Written, set_etag, written
from service.api.deps import ActorDep, RuntimeDep
from service.api.moments import Moment
from service.commands.aggregates import SETTINGS, SETTINGS_STREAM
from service.domain import codec
from service.domain.opportunity.criteria import CATALOGUE, Stage
from service.domain.settings import commands as cmd
from service.domain.settings.decide import decide
from service.domain.settings.state import (
    AnswerType,
    CoverageRules,
    Question,
    QuestionGroup,
    RoleDefinition,
    TriggerKind,
)

router = APIRouter(tags=["settings"])


class SettingsOut(BaseModel):
    version: int
    key_account_ceiling: int
    hand_over_triggers: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    retired_roles: list[dict[str, Any]] = Field(
        description="Roles a role set dropped, as last defined: members who hold one keep it (an assessment may "
        "re-send it), nobody new is given it (422 `role-retired`); a set that has the code again makes it ordinary. "
        "Listed also once nobody holds it: members' histories and views as of a moment before still name it, and "
        "this is where its label is."
    )
    coverage: dict[str, Any]
    template: dict[str, Any] = Field(description="The dossier template in force.")
    template_versions: list[int]
    stage_criteria: list[dict[str, Any]] = Field(
        description="Every version of the exit criteria; the last is in force."
    )
    criteria_catalogue: dict[str, str] = Field(
        description="Exit criteria the company can require, with what each checks."
    )
    stalled_days: int
    negotiation_window_days: int


@router.get(
    "/settings", operation_id="getSettings", summary="The company settings in force", response_model=SettingsOut
)
async def get_settings(
    runtime: RuntimeDep,
    _: ActorDep,
    response: Response,
    as_of: Annotated[Moment | None, Query(description="The settings in force at this moment.")] = None,
) -> SettingsOut:
    loaded = await runtime.repository.load(SETTINGS, SETTINGS_STREAM, as_of=as_of)
    state = loaded.state
    data = codec.to_dict(state)
    set_etag(response, loaded.version)
    return SettingsOut(
        version=loaded.version,
        key_account_ceiling=state.key_account_ceiling,
        hand_over_triggers=data["hand_over_triggers"],
        roles=data["roles"],
        retired_roles=data["retired_roles"],
        coverage=data["coverage"],
        template=codec.to_dict(state.template),
        template_versions=[t.version for t in state.templates],
        stage_criteria=data["stage_criteria"],
        criteria_catalogue={code: c.description for code, c in CATALOGUE.items()},
        stalled_days=state.stalled_days,
        negotiation_window_days=state.negotiation_window_days,
    )


async def _change(command: CommandDep, response: Response, make: Any) -> Written:
    outcome = await command.run(SETTINGS, SETTINGS_STREAM, lambda state: decide(state, make()))
    return written(response, outcome)


class CeilingIn(RequestBody):
    ceiling: StrictInt = Field(ge=1, le=500, examples=[15])


@router.put(
    "/settings/key-account-ceiling",
    operation_id="setKeyAccountCeiling",
    summary="Key accounts per manager before a warning (admin)",
    response_model=Written,
)
async def set_ceiling(body: CeilingIn, response: Response, command: CommandDep) -> Written:
    return await _change(command, response, lambda: cmd.SetKeyAccountCeiling(actor=command.actor, ceiling=body.ceiling))


class TriggerIn(RequestBody):
    code: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1, max_length=200)
    label_ru: str = Field("", max_length=200)


class TriggersIn(RequestBody):
    triggers: list[TriggerIn] = Field(min_length=1, max_length=50)


@router.put(
    "/settings/hand-over-triggers",
    operation_id="defineHandOverTriggers",
    summary="The kinds of trigger that justify handing an account over (admin)",
    response_model=Written,
)
async def set_triggers(body: TriggersIn, response: Response, command: CommandDep) -> Written:
    triggers = tuple(TriggerKind(**t.model_dump()) for t in body.triggers)
    return await _change(command, response, lambda: cmd.DefineHandOverTriggers(actor=command.actor, triggers=triggers))


class RoleIn(RequestBody):
    code: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1, max_length=200)
    label_ru: str = Field("", max_length=200)
    description: str = Field("", max_length=1000)
    required: StrictBool = Field(False, description="A map with nobody in this role shows a coverage risk.")


class RolesIn(RequestBody):
    roles: list[RoleIn] = Field(min_length=3, max_length=30)


@router.put(
    "/settings/roles",
    operation_id="defineRoles",
    summary="The buying-center role set (admin)",
    response_model=Written,
)
async def set_roles(body: RolesIn, response: Response, command: CommandDep) -> Written:
    roles = tuple(RoleDefinition(**r.model_dump()) for r in body.roles)
    return await _change(command, response, lambda: cmd.DefineBuyingCenterRoles(actor=command.actor, roles=roles))


Choice = Annotated[str, Field(min_length=1, max_length=200)]


class QuestionIn(RequestBody):
    code: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1, max_length=500)
    label_ru: str = Field("", max_length=500)
    answer_type: AnswerType
    choices: list[Choice] = Field(default_factory=list, max_length=100)
    review_days: StrictInt = Field(180, ge=1, le=3650)
    personal: StrictBool = Field(False, description="About a person: answers name the member and are forgettable.")


class GroupIn(RequestBody):
    code: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1, max_length=200)
    label_ru: str = Field("", max_length=200)
    questions: list[QuestionIn] = Field(min_length=1, max_length=100)


class TemplateIn(RequestBody):
    groups: list[GroupIn] = Field(min_length=1, max_length=50)


@router.post(
    "/settings/dossier-templates",
    operation_id="publishDossierTemplate",
    summary="Publish a new dossier template version (admin); answers to dropped questions are kept",
    response_model=Written,
)
async def publish_template(body: TemplateIn, response: Response, command: CommandDep) -> Written:
    groups = tuple(
        QuestionGroup(
            code=g.code,
            label=g.label,
            label_ru=g.label_ru,
            questions=tuple(Question(**{**q.model_dump(), "choices": tuple(q.choices)}) for q in g.questions),
        )
        for g in body.groups
    )
    return await _change(command, response, lambda: cmd.PublishDossierTemplate(actor=command.actor, groups=groups))


# The rules of a PUT are all required: a default filled in for one left out reset the setting an admin had made
# (`{"high_influence": 3}` put the stale-contact days back to 90). GET /v1/settings gives them to send back.


class CoverageIn(RequestBody):
    stale_contact_days: StrictInt = Field(ge=1, le=3650, examples=[90])
    high_influence: StrictInt = Field(ge=1, le=5, examples=[4])


@router.put(
    "/settings/coverage-rules",
    operation_id="setCoverageRules",
    summary="Thresholds of the buying-center coverage risks (admin)",
    response_model=Written,
)
async def set_coverage(body: CoverageIn, response: Response, command: CommandDep) -> Written:
    rules = CoverageRules(**body.model_dump())
    return await _change(command, response, lambda: cmd.SetCoverageRules(actor=command.actor, rules=rules))


class ExitCriteriaIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "exits": {
                        "entry": ["meeting_or_invitation"],
                        "finding_ally": ["ally_linked"],
                        "confirmation": ["evidence_document"],
                        "approval": ["leader_confirmation"],
                        "implementation": [],
                    }
                }
            ]
        }
    )

    exits: dict[Stage, list[str]] = Field(
        description="Stage → criterion codes from the catalogue (GET /v1/settings); every stage but serial_supply, "
        "[] for none (one left out is a 422 missing-value)."
    )


@router.put(
    "/settings/exit-criteria",
    operation_id="defineExitCriteria",
    summary="A new version of the stage exit criteria (admin); open projects keep theirs until migrated",
    response_model=Written,
)
async def set_exit_criteria(body: ExitCriteriaIn, response: Response, command: CommandDep) -> Written:
    exits = {stage: tuple(codes) for stage, codes in body.exits.items()}
    return await _change(command, response, lambda: cmd.DefineStageCriteria(actor=command.actor, exits=exits))


class PipelineRulesIn(RequestBody):
    stalled_days: StrictInt = Field(ge=1, le=3650, examples=[30])
    negotiation_window_days: StrictInt = Field(ge=7, le=730, examples=[90])


@router.put(
    "/settings/pipeline-rules",
    operation_id="setPipelineRules",
    summary="When a project counts as stalled, and the window of the negotiation balance (admin)",
    response_model=Written,
)
async def set_pipeline_rules(body: PipelineRulesIn, response: Response, command: CommandDep) -> Written:
    return await _change(
        command,
        response,
        lambda: cmd.SetPipelineRules(
            actor=command.actor, stalled_days=body.stalled_days, negotiation_window_days=body.negotiation_window_days
        ),
    )
