"""Which roles a member may be given: the company's role set, and the retired roles they hold already."""

from __future__ import annotations

from service.domain.errors import require


def given_roles(
    roles: frozenset[str], known: frozenset[str], retired: frozenset[str], held: frozenset[str] = frozenset()
) -> frozenset[str]:
    """`roles`, if each is in the company's set (`known`) or `held` by the member already. A role dropped from the
    set is retired, not taken away: who holds it keeps it, so an assessment re-sending their roles (a frontend
    changing only the attitude does) changes the rest; nobody new is given it, until a set has it again."""
    given = roles - held - known
    unknown = sorted(given - retired)
    require(
        not unknown,
        "unknown-role",
        f"unknown roles: {', '.join(unknown)}",
        field="roles",
        unknown=unknown,
        known=sorted(known),
    )
    require(
        not given,
        "role-retired",
        f"retired roles: {', '.join(sorted(given))}; dropped from the company's role set, they stay with who holds "
        "them and are given to nobody new",
        field="roles",
        retired=sorted(given),
        known=sorted(known),
    )
    return roles
