"""Coverage risks of a buying center, computed from the map: each with its reason and the members involved.

The seeds' warnings (DOMAIN.md section 3): one contact (someone we talk to now, not one gone cold) is one
resignation from losing the account, and none is worse; a decision maker nobody talks to; an influential
opponent; contacts gone cold; a role nobody holds; and the immature manager's habit of seed 000, one and the same
message carried into every office, whoever sits there. They are risks to an account being worked (`watched`).

Which accounts the supervisor must look at (`at_risk`) is decided here too, from the lifecycle: every signal is for
an account someone works (`worked`), and a lost one is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.domain.account.state import Lifecycle
from service.domain.buying_center.state import BuyingCenter, Member
from service.domain.settings.state import CoverageRules, RoleDefinition

DECISION_MAKER = "decision_maker"


@dataclass(frozen=True, slots=True, kw_only=True)
class Risk:
    code: str
    reason: str
    members: tuple[str, ...] = ()
    role: str | None = None


def _ids(members: list[Member]) -> tuple[str, ...]:
    return tuple(sorted(m.member_id for m in members))


def worked(lifecycle: Lifecycle) -> bool:
    """Whether anyone works the account: every stage but lost, a sleeping client too, whose reactivation is a task
    (seed 002). A lost account is history until it is won back: nothing about it is anyone's to act on."""
    return lifecycle is not Lifecycle.LOST


def watched(state: BuyingCenter, lifecycle: Lifecycle) -> bool:
    """Whether the account's coverage can be at risk: one being worked, but for a prospect that nobody is mapped for
    yet: there is no coverage to lose, and a hunter starts from a list of people who may care (seed 004's Entry). Any
    other account with an empty map, one in a project or a client, is at risk, as is a prospect whose mapped people
    have all left."""
    if not worked(lifecycle):
        return False
    return lifecycle is not Lifecycle.PROSPECT or bool(state.people)


def at_risk(lifecycle: Lifecycle, *, coverage: bool, stale_answers: int, negotiations_falling: bool) -> bool:
    """Whether the supervisor's portfolio lists the account as at risk: a coverage risk (already none unless
    `watched`), a stale dossier answer to re-confirm, or meetings that replaced negotiations (seed 003), each only
    for an account being worked. A lost account's stale answers and falling share stay facts of its dossier and
    timeline, but nobody would act on them."""
    return worked(lifecycle) and (coverage or stale_answers > 0 or negotiations_falling)


def coverage_risks(
    state: BuyingCenter,
    roles: tuple[RoleDefinition, ...],
    rules: CoverageRules,
    today: date,
    *,
    lifecycle: Lifecycle,
) -> list[Risk]:
    """`lifecycle`: the account's, as of the same moment as the map."""
    if not watched(state, lifecycle):
        return []
    active = [m for m in state.people.values() if m.active]
    in_touch = [m for m in active if m.last_contact is not None]
    cutoff = today - timedelta(days=rules.stale_contact_days)
    # A thread is someone we talk to now: a contact gone cold holds nothing if the one warm contact leaves.
    threads = [m for m in in_touch if m.last_contact is not None and m.last_contact >= cutoff]
    deciders = [m for m in active if DECISION_MAKER in m.roles]
    found: list[Risk] = []
    if len(threads) <= 1:  # also with none: when the only contact has left, or nobody is on the map yet
        lately = f"in the last {rules.stale_contact_days} days"
        found.append(
            Risk(
                code="single-threaded",
                reason=f"only one person at the client was in contact with us {lately}: if they leave, the account goes"
                if threads
                else f"nobody at the client was in contact with us {lately}",
                members=_ids(threads),
            )
        )
    if deciders and not any(m.last_contact is not None for m in deciders):
        found.append(
            Risk(
                code="no-decision-maker-contact",
                reason="no contact recorded with any decision maker",
                members=_ids(deciders),
            )
        )
    if opponents := [m for m in active if m.opposed and m.influence >= rules.high_influence]:
        found.append(
            Risk(
                code="high-influence-opponent",
                reason=f"opposed to us (attitude -1 or less, or the opponent role) with influence "
                f"{rules.high_influence} or more",
                members=_ids(opponents),
            )
        )
    if unowned := [m for m in deciders if m.owner is None]:
        found.append(
            Risk(
                code="decision-maker-without-owner",
                reason="nobody on our side owns the contact with this decision maker",
                members=_ids(unowned),
            )
        )
    if stale := [m for m in in_touch if m.last_contact is not None and m.last_contact < cutoff]:
        found.append(
            Risk(
                code="stale-contact",
                reason=f"last contact more than {rules.stale_contact_days} days ago",
                members=_ids(stale),
            )
        )
    found += _same_message(active)
    held = {role for m in active for role in m.roles}
    for role in roles:
        if role.required and role.code not in held:
            found.append(
                Risk(code="role-missing", reason=f"nobody in the map holds the role {role.label}", role=role.code)
            )
    return found


def _same_message(active: list[Member]) -> list[Risk]:
    """People in different roles whom we plan to approach with the same words (the contact plan, or the next
    action): each role buys for reasons of its own, and a message for all of them speaks to none."""
    risks: list[Risk] = []
    for what, says in (("contact plan", lambda m: m.contact_plan), ("next action", _next_action)):
        by_text: dict[str, list[Member]] = {}
        for m in active:
            if text := " ".join(says(m).split()).casefold():
                by_text.setdefault(text, []).append(m)
        for group in by_text.values():
            if len({m.roles for m in group}) > 1 and _ids(group) not in {r.members for r in risks}:
                risks.append(
                    Risk(
                        code="same-message",
                        reason=f"the same {what} for people in different roles: each buys for reasons of its own",
                        members=_ids(group),
                    )
                )
    return risks


def _next_action(member: Member) -> str:
    return member.next_action.what if member.next_action else ""
