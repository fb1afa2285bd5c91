"""A role dropped from the role set is retired: the settings keep it as last defined until a set has it again, and the
buying center's rules let who holds it keep it while giving it to nobody new."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import reduce

import pytest

from service.domain.actors import Actor, Role
from service.domain.buying_center import commands as cmd
from service.domain.buying_center.decide import decide
from service.domain.buying_center.evolve import evolve, initial_state
from service.domain.buying_center.state import BuyingCenter
from service.domain.errors import DomainError
from service.domain.settings.events import BuyingCenterRolesDefined
from service.domain.settings.evolve import evolve as settings_evolve
from service.domain.settings.evolve import initial_state as default_settings
from service.domain.settings.state import CompanySettings, RoleDefinition

KAM = Actor("kam", Role.MANAGER, "north")


def _without(settings: CompanySettings, *codes: str) -> tuple[RoleDefinition, ...]:
    return tuple(r for r in settings.roles if r.code not in codes)


def _defined(settings: CompanySettings, *sets: tuple[RoleDefinition, ...]) -> CompanySettings:
    return reduce(lambda s, roles: settings_evolve(s, BuyingCenterRolesDefined(roles=roles)), sets, settings)


def test_a_dropped_role_is_retired_as_last_defined_until_a_set_has_it_again() -> None:
    defaults = default_settings()
    assert defaults.retired_roles == ()
    relabelled = tuple(replace(r, label="Tech judge") if r.code == "expert" else r for r in defaults.roles)
    dropped = _defined(defaults, relabelled, _without(defaults, "expert"), _without(defaults, "expert", "gatekeeper"))
    assert [(r.code, r.label) for r in dropped.retired_roles] == [
        ("expert", "Tech judge"),
        ("gatekeeper", "Gatekeeper"),
    ]
    assert dropped.retired_role_codes.isdisjoint(dropped.role_codes)
    back = _defined(dropped, _without(defaults, "gatekeeper"))
    assert (back.retired_role_codes, "expert" in back.role_codes) == ({"gatekeeper"}, True)


def _run(state: BuyingCenter, *commands: object) -> BuyingCenter:
    for command in commands:
        state = reduce(lambda s, e: evolve(s, e, datetime(2026, 1, 1)), decide(state, command), state)  # type: ignore[arg-type]
    return state


KNOWN = frozenset({"user", "ally", "decision_maker"})
RETIRED = frozenset({"expert"})


def _assess(roles: set[str], **fields: object) -> cmd.AssessMember:
    return cmd.AssessMember(
        actor=KAM, member_id="m1", roles=frozenset(roles), known_roles=KNOWN, retired_roles=RETIRED, **fields
    )


def test_who_holds_a_retired_role_keeps_it_and_nobody_new_is_given_it() -> None:
    holder = cmd.AddMember(
        actor=KAM,
        account_id="a1",
        member_id="m1",
        name="Holder",
        roles=frozenset({"expert", "user"}),
        known_roles=KNOWN | RETIRED,
        retired_roles=frozenset(),
    )
    state = _run(initial_state(), holder)
    kept = _run(state, _assess({"expert", "user"}, attitude=1)).people["m1"]
    assert (kept.roles, kept.attitude) == ({"expert", "user"}, 1)
    with pytest.raises(DomainError) as retired:
        decide(_run(state, _assess({"user"})), _assess({"expert", "user"}))  # dropped by the member: not theirs now
    assert (retired.value.status, retired.value.code, retired.value.details["retired"]) == (
        422,
        "role-retired",
        ["expert"],
    )
    assert retired.value.details["field"] == "roles"
    with pytest.raises(DomainError) as added:
        decide(initial_state(), replace(holder, known_roles=KNOWN, retired_roles=RETIRED))
    assert added.value.code == "role-retired"
    with pytest.raises(DomainError) as unknown:  # a code no set ever had is still unknown, named first
        decide(state, _assess({"expert", "wizard", "user"}))
    assert (unknown.value.code, unknown.value.details["unknown"]) == ("unknown-role", ["wizard"])
