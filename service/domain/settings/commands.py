"""What an admin asks of the company settings."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.actors import Actor
from service.domain.opportunity.criteria import Stage
from service.domain.settings.state import CoverageRules, QuestionGroup, RoleDefinition, TriggerKind


@dataclass(frozen=True, slots=True, kw_only=True)
class SetKeyAccountCeiling:
    actor: Actor
    ceiling: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DefineHandOverTriggers:
    actor: Actor
    triggers: tuple[TriggerKind, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DefineBuyingCenterRoles:
    actor: Actor
    roles: tuple[RoleDefinition, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishDossierTemplate:
    actor: Actor
    groups: tuple[QuestionGroup, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SetCoverageRules:
    actor: Actor
    rules: CoverageRules


@dataclass(frozen=True, slots=True, kw_only=True)
class DefineStageCriteria:
    actor: Actor
    exits: dict[Stage, tuple[str, ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class SetPipelineRules:
    actor: Actor
    stalled_days: int
    negotiation_window_days: int


SettingsCommand = (
    SetKeyAccountCeiling
    | DefineHandOverTriggers
    | DefineBuyingCenterRoles
    | PublishDossierTemplate
    | SetCoverageRules
    | DefineStageCriteria
    | SetPipelineRules
)
