"""The supervisor's morning view: per manager, key accounts against the ceiling, accounts by lifecycle stage,
the accounts whose buying center shows coverage risks or whose dossier has gone stale, and the negotiation
balance (seed 003: a falling share of negotiations means the manager now represents the client).

Only accounts being worked are listed at risk (risks.at_risk): a lost one's signals are shown, but nobody acts on
them. Read from the projections (read.accounts, read.buying_center_members, read.dossier_answers); the risks and
staleness are computed by the same pure domain functions as the account views.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from service.api.commanding import company_settings
from service.api.days import today
from service.api.deps import ActorDep, RuntimeDep
from service.api.freshness import LAGGING, fresh
from service.api.pagination import Cursor, Limit, decode_cursor, page, text
from service.api.routes.accounts.resource import UNDER_CEILING
from service.domain.account.access import list_scope
from service.domain.account.state import Lifecycle
from service.domain.buying_center.risks import at_risk, coverage_risks
from service.domain.buying_center.state import Away, BuyingCenter, Member, NextAction
from service.domain.dossier.state import Answer, AnswerSlot, Confidence, Dossier
from service.domain.dossier.view import dossier_view
from service.domain.interaction.balance import negotiation_balance

router = APIRouter(tags=["portfolio"])


class AccountSignal(BaseModel):
    account_id: str
    name: str
    is_key: bool
    lifecycle: str
    risks: list[str] = Field(
        description="Codes of the buying center's coverage risks: none for a lost account, nor for a prospect with "
        "nobody on its map yet."
    )
    dossier_completeness: float
    stale_answers: int = Field(
        description="Dossier answers in force that are stale (GET …/dossier's `stale`); shown for a lost account too, "
        "which they put in no `at_risk`."
    )
    negotiation_share: float | None = Field(description="Share of negotiations among contacts in the last window.")
    negotiation_share_before: float | None = Field(description="The same share in the window before.")
    negotiations_falling: bool = Field(
        description="Seed 003's risk: meetings have replaced negotiations; shown for a lost account too, which it "
        "puts in no `at_risk`."
    )


class ManagerPortfolio(BaseModel):
    manager: str
    key_accounts: int = Field(
        description="The manager's key accounts being worked (all but the lost), in every team (the ceiling is the "
        "manager's), not only those listed here."
    )
    ceiling: int
    over_ceiling: bool = Field(description="More key accounts being worked than the company ceiling: a portfolio risk.")
    accounts_by_lifecycle: dict[str, int]
    accounts: list[AccountSignal]
    at_risk: list[str] = Field(
        description="Ids of the accounts being worked with coverage risks, stale dossier answers or a falling "
        "negotiation share: never a lost account, which nobody works, until it is won back."
    )
    negotiation_share: float | None = Field(description="Over all the manager's accounts, last window.")
    negotiation_share_before: float | None
    negotiations_falling: bool = Field(description="Meetings have replaced negotiations (seed 003).")


class Portfolio(BaseModel):
    negotiation_window_days: int
    managers: list[ManagerPortfolio] = Field(description="By manager; a page holds each of its managers whole.")
    next_cursor: str | None


# the accounts of the first $4 managers after the cursor's ($3), in scope
ACCOUNTS = """
WITH managers AS (
    SELECT DISTINCT owner FROM read.accounts
    WHERE ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR team = $2) AND ($3::text IS NULL OR owner > $3)
    ORDER BY owner
    LIMIT $4
)
SELECT account_id, name, owner, is_key, lifecycle FROM read.accounts
WHERE ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR team = $2) AND owner IN (SELECT owner FROM managers)
ORDER BY owner, name, account_id
"""
# A manager may own key accounts in several teams (a hand-over without `to_team` keeps the account's team): the
# ceiling counts them all, but for lost ones, which nobody works
KEY_ACCOUNTS = f"""
SELECT owner, count(*)::int AS keys FROM read.accounts WHERE {UNDER_CEILING} AND owner = ANY($1::text[]) GROUP BY owner
"""
MEMBERS = "SELECT * FROM read.buying_center_members WHERE account_id = ANY($1::text[])"
ANSWERS = "SELECT * FROM read.dossier_answers WHERE account_id = ANY($1::text[])"
CONTACTS = """
SELECT account_id, kind, occurred_on, participants FROM read.interactions
WHERE account_id = ANY($1::text[]) AND NOT retracted AND occurred_on > $2
"""


def member(row: Any) -> Member:
    return Member(
        member_id=row["member_id"],
        name=row["name"],
        roles=frozenset(row["roles"]),
        influence=row["influence"],
        attitude=row["attitude"],
        attitude_to_competitor=row["attitude_to_competitor"],
        owner=row["owner"],
        contact_plan=row["contact_plan"],
        next_action=NextAction(what=row["next_action"], due=row["next_action_due"]) if row["next_action"] else None,
        last_contact=row["last_contact"],
        active=row["active"],
        left_on=row["left_on"],
        away=tuple(Away(left_on=r.lower, returned_on=r.upper) for r in row["away"]),
    )


def _at_risk(signal: AccountSignal) -> bool:
    return at_risk(
        Lifecycle(signal.lifecycle),
        coverage=bool(signal.risks),
        stale_answers=signal.stale_answers,
        negotiations_falling=signal.negotiations_falling,
    )


def slot(row: Any) -> AnswerSlot:
    answer = Answer(
        value=row["value"],  # null once the person it is about is forgotten: then nothing to review
        source=row["source"],
        learned_on=row["learned_on"],
        confidence=Confidence(row["confidence"]),
        template_version=row["template_version"],
    )
    return AnswerSlot(question_code=row["question_code"], about=row["about_member_id"], history=(answer,))


@router.get(
    "/portfolio",
    operation_id="getPortfolio",
    summary="Per manager: key accounts against the ceiling, lifecycle stages, accounts at risk",
    description="Pages by manager: `limit` managers on a page, each with all their accounts.",
    response_model=Portfolio,
    responses=LAGGING,
)
async def get_portfolio(
    runtime: RuntimeDep,
    actor: ActorDep,
    _: Annotated[int | None, Depends(fresh("accounts", "buying_centers", "dossiers", "interactions"))],
    manager: Annotated[str | None, Query(description="Only this manager.")] = None,
    team: Annotated[str | None, Query(description="Only this team (admin and bi).")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Portfolio:
    scoped = list_scope(actor, manager, team)
    after = decode_cursor(cursor, manager=text)
    settings = await company_settings(runtime)
    day = today()
    async with runtime.pool.acquire() as conn:
        last = after["manager"] if after else None
        accounts = await conn.fetch(ACCOUNTS, *scoped, last, limit + 1) if scoped else []
        ids = [a["account_id"] for a in accounts]
        members, answers = defaultdict(dict), defaultdict(dict)
        for row in await conn.fetch(MEMBERS, ids):
            members[row["account_id"]][row["member_id"]] = member(row)
        for row in await conn.fetch(ANSWERS, ids):
            answers[row["account_id"]][row["answer_key"]] = slot(row)
        window = settings.negotiation_window_days
        contacts: dict[str, list[tuple[str, date]]] = defaultdict(list)
        for row in await conn.fetch(CONTACTS, ids, day - timedelta(days=2 * window)):
            people = members[row["account_id"]]
            # a contact is with the client: our own people alone, or someone who had left, is none (seed 003 counts
            # negotiations among the meetings with the client)
            if any(p in people and people[p].at_the_client(row["occurred_on"]) for p in row["participants"]):
                contacts[row["account_id"]].append((row["kind"], row["occurred_on"]))
        owners = sorted({a["owner"] for a in accounts})
        key_accounts = {row["owner"]: row["keys"] for row in await conn.fetch(KEY_ACCOUNTS, owners)}
    by_manager: dict[str, list[AccountSignal]] = defaultdict(list)
    for a in accounts:
        center = BuyingCenter(account_id=a["account_id"], members=members[a["account_id"]])
        risks = coverage_risks(
            center,
            settings.roles,
            settings.coverage,
            day,
            lifecycle=Lifecycle(a["lifecycle"]),
        )
        view = dossier_view(settings.template, Dossier(slots=answers[a["account_id"]]), day, center.left)
        balance = negotiation_balance(contacts[a["account_id"]], day, window)
        by_manager[a["owner"]].append(
            AccountSignal(
                account_id=a["account_id"],
                name=a["name"],
                is_key=a["is_key"],
                lifecycle=a["lifecycle"],
                risks=sorted({r.code for r in risks}),
                dossier_completeness=view.completeness,
                stale_answers=view.stale_count,
                negotiation_share=balance.current,
                negotiation_share_before=balance.previous,
                negotiations_falling=balance.falling,
            )
        )
    ceiling = settings.key_account_ceiling
    managers = []
    for name, signals in by_manager.items():  # in the query's order, which the cursor follows
        keys = key_accounts.get(name, 0)
        overall = negotiation_balance([c for s in signals for c in contacts[s.account_id]], day, window)
        managers.append(
            ManagerPortfolio(
                manager=name,
                key_accounts=keys,
                ceiling=ceiling,
                over_ceiling=keys > ceiling,
                accounts_by_lifecycle=dict(Counter(s.lifecycle for s in signals)),
                accounts=signals,
                at_risk=[s.account_id for s in signals if _at_risk(s)],
                negotiation_share=overall.current,
                negotiation_share_before=overall.previous,
                negotiations_falling=overall.falling,
            )
        )
    kept, next_cursor = page(managers, limit, lambda last: {"manager": last.manager})
    return Portfolio(negotiation_window_days=window, managers=kept, next_cursor=next_cursor)
