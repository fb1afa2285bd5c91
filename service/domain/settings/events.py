"""Facts about the company's settings."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.opportunity.criteria import StageCriteria
from service.domain.settings.state import CoverageRules, DossierTemplate, RoleDefinition, TriggerKind


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyAccountCeilingSet:
    ceiling: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HandOverTriggersDefined:
    triggers: tuple[TriggerKind, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BuyingCenterRolesDefined:
    roles: tuple[RoleDefinition, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DossierTemplatePublished:
    template: DossierTemplate


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageRulesSet:
    rules: CoverageRules


@dataclass(frozen=True, slots=True, kw_only=True)
class StageCriteriaDefined:
    criteria: StageCriteria


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineRulesSet:
    stalled_days: int
    negotiation_window_days: int


SettingsEvent = (
    KeyAccountCeilingSet
    | HandOverTriggersDefined
    | BuyingCenterRolesDefined
    | DossierTemplatePublished
    | CoverageRulesSet
    | StageCriteriaDefined
    | PipelineRulesSet
)
EVENTS = (
    KeyAccountCeilingSet,
    HandOverTriggersDefined,
    BuyingCenterRolesDefined,
    DossierTemplatePublished,
    CoverageRulesSet,
    StageCriteriaDefined,
    PipelineRulesSet,
)
