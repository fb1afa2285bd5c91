"""The rules of the links between members: no link twice, no contradiction, no reporting cycle."""

from __future__ import annotations

from service.domain.buying_center.commands import LinkMembers
from service.domain.buying_center.state import BuyingCenter, RelationKind
from service.domain.errors import Conflict, DomainError

# Informal links that hold both ways: A allied with B is B allied with A; one rules the other out.
_SYMMETRIC = frozenset({RelationKind.ALLIED_WITH, RelationKind.RIVAL_OF})


def refuse_duplicates_and_contradictions(state: BuyingCenter, command: LinkMembers) -> None:
    """A symmetric link recorded the other way round is the same link, and two people are not allies and rivals
    at once: either would show the map two edges that say one thing, or two that cannot both be true."""
    pair = {command.source, command.target}
    for r in state.links.values():
        same_way = (r.source, r.target) == (command.source, command.target)
        if r.kind is command.kind and (same_way or (command.kind in _SYMMETRIC and {r.source, r.target} == pair)):
            raise Conflict(
                "relationship-exists",
                f"these members are already linked as {command.kind.value}",
                relationship_id=r.relationship_id,
            )
        if command.kind in _SYMMETRIC and r.kind in _SYMMETRIC - {command.kind} and {r.source, r.target} == pair:
            raise Conflict(
                "contradictory-relationship",
                f"these members are linked as {r.kind.value}: remove that link before recording {command.kind.value}",
                relationship_id=r.relationship_id,
                kind=r.kind.value,
            )


def refuse_cycles(state: BuyingCenter, source: str, target: str) -> None:
    """Nobody reports, however indirectly, to someone who reports to them: an org chart is a tree, and a cycle
    would put the engineer above the director. Refused with the members on the cycle, so the wrong link is found."""
    bosses: dict[str, list[str]] = {}
    for r in state.links.values():
        if r.kind is RelationKind.REPORTS_TO:
            bosses.setdefault(r.source, []).append(r.target)
    path, seen = {target: [source, target]}, {target}
    frontier = [target]
    while frontier:  # breadth first from the new boss up the chain: the shortest way back to the source
        step: list[str] = []
        for member in frontier:
            for boss in sorted(bosses.get(member, ())):
                if boss == source:
                    cycle = path[member] + [source]
                    raise DomainError(
                        "reports-to-cycle",
                        f"{source} cannot report to {target}: {' → '.join(cycle)} would be a cycle",
                        members=cycle,
                    )
                if boss not in seen:
                    seen.add(boss)
                    path[boss] = path[member] + [boss]
                    step.append(boss)
        frontier = step
