"""How the company settings follow from their events."""

from __future__ import annotations

from dataclasses import replace

from service.domain.settings.defaults import default_settings
from service.domain.settings.events import (
    BuyingCenterRolesDefined,
    CoverageRulesSet,
    DossierTemplatePublished,
    HandOverTriggersDefined,
    KeyAccountCeilingSet,
    PipelineRulesSet,
    SettingsEvent,
    StageCriteriaDefined,
)
from service.domain.settings.state import CompanySettings, RoleDefinition


def evolve(state: CompanySettings, event: SettingsEvent) -> CompanySettings:
    match event:
        case KeyAccountCeilingSet(ceiling=ceiling):
            return replace(state, key_account_ceiling=ceiling)
        case HandOverTriggersDefined(triggers=triggers):
            return replace(state, hand_over_triggers=triggers)
        case BuyingCenterRolesDefined(roles=roles):
            return replace(state, roles=roles, retired_roles=_retired(state, roles))
        case DossierTemplatePublished(template=template):
            return replace(state, templates=(*state.templates, template))
        case CoverageRulesSet(rules=rules):
            return replace(state, coverage=rules)
        case StageCriteriaDefined(criteria=criteria):
            return replace(state, stage_criteria=(*state.stage_criteria, criteria))
        case PipelineRulesSet():
            return replace(
                state, stalled_days=event.stalled_days, negotiation_window_days=event.negotiation_window_days
            )
    return state


def _retired(state: CompanySettings, roles: tuple[RoleDefinition, ...]) -> tuple[RoleDefinition, ...]:
    """The roles retired once `roles` is the set: those retired before and those it drops, each as last defined, but
    for the ones it has again (ordinary roles once more)."""
    codes = {r.code for r in roles}
    return tuple(r for r in (*state.retired_roles, *state.roles) if r.code not in codes)


def initial_state() -> CompanySettings:
    return default_settings()
