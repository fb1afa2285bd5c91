"""Exit criteria: a catalogue of checks on recorded facts, and which of them each stage requires.

The company chooses, per stage, criteria from this catalogue (a versioned setting); a project keeps
the version in force when it was opened. Each check reads the project's facts, never a checkbox, and a fact
that rests on a person's word (an ally, their need, the affected member of a problem, the leader's confirmation,
confident use) counts only while that person is still at the client and, one with a day of its own, if they were
the client's that day; a meeting only with someone who was the client's on its day. Both are judged on the account's
buying center as known when the criteria are read (`roster.Roster`): a leaving recorded late, dated back over a
fact's day, takes it out, a return dated before it puts it back. The facts themselves stay, as history.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from service.domain.errors import require

if TYPE_CHECKING:
    from service.domain.opportunity.roster import Roster
    from service.domain.opportunity.state import Opportunity

# Whether the word of a member (None: nobody) counts for a criterion, in a fact on a day (None: one without a day).
Heard = Callable[[str | None, date | None], bool]


class Stage(enum.StrEnum):
    ENTRY = "entry"
    FINDING_ALLY = "finding_ally"
    CONFIRMATION = "confirmation"
    APPROVAL = "approval"
    IMPLEMENTATION = "implementation"
    SERIAL_SUPPLY = "serial_supply"

    @property
    def next(self) -> Stage | None:
        order = list(Stage)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


@dataclass(frozen=True, slots=True)
class Criterion:
    code: str
    description: str
    holds: Callable[[Opportunity, Heard], bool]


def _meeting(o: Opportunity, heard: Heard) -> bool:
    return bool(o.meetings) or o.invitation is not None


def _ally(o: Opportunity, heard: Heard) -> bool:
    return any(heard(a, None) for a in o.allies)


def _confirmed(o: Opportunity) -> list[tuple[str, date | None]]:
    """Who confirmed a need, and on which day: recorded as such, or as an explicit need on the problem list (SPIN)."""
    said: list[tuple[str, date | None]] = [(n.member_id, n.on) for n in o.needs]
    problems = o.problems.values()
    return said + [(p.need_confirmed_by, p.confirmed_on) for p in problems if p.explicit and p.need_confirmed_by]


def _need(o: Opportunity, heard: Heard) -> bool:
    """A need an ally confirmed, in their word on its day."""
    return any(m in o.allies and heard(m, on) for m, on in _confirmed(o))


def _problem(o: Opportunity, heard: Heard) -> bool:
    """Criteria forgotten with their member (None) were recorded all the same, as a forgotten need was confirmed."""
    return any(
        p.affected_member and heard(p.affected_member, None) and (p.criteria or p.criteria is None)
        for p in o.problems.values()
    )


def _evidence(o: Opportunity, heard: Heard) -> bool:
    return bool(o.evidence)


def _volume(o: Opportunity, heard: Heard) -> bool:
    return o.confirmed_volume is not None  # a quantity, not a person's word: who confirmed it is optional


def _leader(o: Opportunity, heard: Heard) -> bool:
    return o.leader_confirmation is not None and heard(o.leader_confirmation.member_id, o.leader_confirmation.on)


def _launch(o: Opportunity, heard: Heard) -> bool:
    sides = {a.side for a in o.launch_plan}
    return {"supplier", "client"} <= sides


def _use(o: Opportunity, heard: Heard) -> bool:
    return o.confident_use is not None and heard(o.confident_use.member_id, o.confident_use.on)


def _meeting_since(o: Opportunity, heard: Heard) -> date | None:
    return None if o.invitation is not None else min((m.on for m in o.meetings), default=None)


def _need_since(o: Opportunity, heard: Heard) -> date | None:
    return min((on for m, on in _confirmed(o) if on and m in o.allies and heard(m, on)), default=None)


def _leader_since(o: Opportunity, heard: Heard) -> date | None:
    return o.leader_confirmation.on if o.leader_confirmation else None


def _use_since(o: Opportunity, heard: Heard) -> date | None:
    return o.confident_use.on if o.confident_use else None


# The criteria met by facts that carry the day they happened: a stage is not left, back-dated, before that day.
SINCE: dict[str, Callable[[Opportunity, Heard], date | None]] = {
    "meeting_or_invitation": _meeting_since,
    "need_confirmed_by_ally": _need_since,
    "leader_confirmation": _leader_since,
    "confident_use_confirmed": _use_since,
}

CATALOGUE: dict[str, Criterion] = {
    c.code: c
    for c in (
        Criterion(
            "meeting_or_invitation",
            "a meeting held with the client, or an invitation to a concrete project recorded",
            _meeting,
        ),
        Criterion(
            "ally_linked",
            "an ally (a buying-center member with the ally role, not opposed to us) linked to the project",
            _ally,
        ),
        Criterion("need_confirmed_by_ally", "an explicit need confirmed by a linked ally", _need),
        Criterion(
            "problem_with_member_and_criteria",
            "a problem in the problems-and-consequences list with the affected member and their criteria",
            _problem,
        ),
        Criterion(
            "evidence_document",
            "an evidence document (test report, lab report, cost calculation, estimate, past project)",
            _evidence,
        ),
        Criterion("purchase_volume_confirmed", "a confirmed purchase volume", _volume),
        Criterion("leader_confirmation", "the buyer's authorised leader's confirmation recorded", _leader),
        Criterion(
            "launch_plan_both_sides",
            "an action plan for launch into series with actions for both sides, each with a deadline",
            _launch,
        ),
        Criterion("confident_use_confirmed", "confident use of the product confirmed", _use),
    )
}

DEFAULT_EXIT_CRITERIA: dict[Stage, tuple[str, ...]] = {  # DOMAIN.md section 4
    Stage.ENTRY: ("meeting_or_invitation",),
    Stage.FINDING_ALLY: ("ally_linked", "need_confirmed_by_ally", "problem_with_member_and_criteria"),
    Stage.CONFIRMATION: ("evidence_document", "purchase_volume_confirmed"),
    Stage.APPROVAL: ("leader_confirmation", "launch_plan_both_sides"),
    Stage.IMPLEMENTATION: ("confident_use_confirmed",),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StageCriteria:
    """One version of the company's exit criteria: stage → criterion codes."""

    version: int
    exits: dict[Stage, tuple[str, ...]]


def check_known(exits: dict[Stage, tuple[str, ...]]) -> None:
    """Every code names a criterion of the catalogue; the unknown ones are named in the problem."""
    unknown = sorted({code for codes in exits.values() for code in codes} - set(CATALOGUE))
    require(not unknown, "unknown-criterion", f"unknown exit criteria: {', '.join(unknown)}", unknown=unknown)


ALLY = "ally"
LEADER_ROLES = frozenset({"decision_maker", "signer"})  # the buyer's authorised leader: who decides, or signs

# The criteria that rest on a person holding a role in the map, which the map may have taken away since: a linked
# ally reassessed is no ally, a leader no longer deciding or signing confirms nothing.
ROLE_NEEDED: dict[str, frozenset[str]] = {
    "ally_linked": frozenset({ALLY}),
    "need_confirmed_by_ally": frozenset({ALLY}),
    "leader_confirmation": LEADER_ROLES,
}


def roles_for_rules(roles: frozenset[str], opposed: bool) -> frozenset[str]:
    """A member's roles as a project's rules read them: one the map holds opposed to us (`Member.opposed`) is no
    ally, whatever roles they keep, since an ally is someone ready to back our solution and help launch it (seed
    004); linking them is refused, and their word meets no criterion that rests on an ally."""
    return roles - {ALLY} if opposed else roles


def _heard(code: str, roster: Roster | None) -> Heard:
    """Whose word criterion `code` counts, on the day of the fact (`Roster.heard`): not that of a member who has left,
    or was away that day, nor of one the map's roles leave without the role the criterion rests on."""
    needed, roles = ROLE_NEEDED.get(code), roster.roles if roster else {}

    def heard(member_id: str | None, on: date | None) -> bool:
        if member_id is None or (needed and member_id in roles and not roles[member_id] & needed):
            return False
        return roster.heard(member_id, on) if roster else True

    return heard


def _check(code: str, o: Opportunity, roster: Roster | None) -> tuple[Opportunity, Heard]:
    """The project as criterion `code` reads it on `roster`, the account's buying center (then): its interactions
    judged with the client or not (`Roster.judged`), and whose word counts. None: no map at hand, facts as recorded."""
    return (roster.judged(o) if roster else o), _heard(code, roster)


def holds(code: str, o: Opportunity, roster: Roster | None = None) -> bool:
    """Whether criterion `code` holds, judged on `roster` (`_check`)."""
    return CATALOGUE[code].holds(*_check(code, o, roster))


def held_since(code: str, o: Opportunity, roster: Roster | None = None) -> date | None:
    """The first day criterion `code` held by the days its facts carry (a meeting's, a confirmation's); None when
    it holds, or may have held, by a fact with no day of its own (an invitation, evidence, a volume)."""
    since = SINCE.get(code)
    return since(*_check(code, o, roster)) if since else None


def unmet(o: Opportunity, roster: Roster | None = None) -> list[Criterion]:
    """The exit criteria of the project's current stage (in its pinned version) that its facts do not meet (`holds`)."""
    return [CATALOGUE[code] for code in o.criteria.exits.get(o.stage, ()) if not holds(code, o, roster)]
