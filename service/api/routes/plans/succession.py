"""A successor's first agreement, in one append: it goes into force with its predecessor's progress, the predecessor
leaves force, and the account's register of plans names the successor current."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

from service.api.commanding import Command
from service.api.freshness import caught_up
from service.commands.aggregates import PLAN, PLAN_REGISTER, account_stream, plan_register_stream, plan_stream
from service.commands.handler import Outcome, Step
from service.domain.errors import NotFound
from service.domain.plan import commands as cmd
from service.domain.plan.decide import decide, take_over
from service.domain.plan.evolve import evolve
from service.domain.plan.register import CompleteSuccession
from service.domain.plan.register import decide as register_decide
from service.domain.plan.state import Plan
from service.projections.plans import current_plans
from service.runtime import Runtime


async def found_plans(runtime: Runtime, account_id: str) -> tuple[str, ...]:
    """The account's current plans started before its register existed, read (from the `plans` projection, once it
    has applied the whole log) only while the register does not exist: its first event records them."""
    if (await runtime.repository.load(PLAN_REGISTER, plan_register_stream(account_id))).version:
        return ()
    await caught_up(runtime, ["plans"], await runtime.store.head_position())
    async with runtime.pool.acquire() as conn:
        return await current_plans(conn, account_id)


async def act_on_successor(
    command: Command, plan: Plan, make: Callable[[Plan, cmd.Parties], Any], hidden: NotFound
) -> Outcome[Any]:
    """Decide `make` on a successor not yet in force; when that agrees it, supersede its predecessor too. The parties
    are the account's as the handler loads it, and the actor must still see it (else `hidden`)."""
    assert plan.supersedes is not None
    stream, old, account = plan_stream(plan.plan_id), plan_stream(plan.supersedes), account_stream(plan.account_id)
    register = plan_register_stream(plan.account_id)
    found = await found_plans(command.runtime, plan.account_id)
    decided: dict[str, Any] = {}

    def successor(states: dict[str, Any]) -> tuple[list[Any], int | None]:
        """This attempt's events on the successor, and its revision in force when they agree it (else None)."""
        if decided.get("states") is not states:  # once per attempt: the handler reloads the states for each
            state: Plan = states[stream]
            events = decide(state, make(state, cmd.Parties.of(states[account])))
            after = reduce(lambda s, event: evolve(s, event), events, state)
            agreed = after.in_force.number if state.in_force is None and after.in_force is not None else None
            if agreed is not None:
                events = [*events, *take_over(after, states[old], command.actor.sub)]
            decided.update(states=states, result=(events, agreed))
        result: tuple[list[Any], int | None] = decided["result"]
        return result

    def predecessor(states: dict[str, Any]) -> Sequence[Any]:
        agreed = successor(states)[1]
        if agreed is None:
            return []
        superseding = cmd.SupersedePlan(
            actor=command.actor, parties=cmd.Parties.of(states[account]), by_plan=plan.plan_id, successor_agreed=agreed
        )
        return decide(states[old], superseding)

    def registered(states: dict[str, Any]) -> Sequence[Any]:
        if successor(states)[1] is None:
            return []
        completing = CompleteSuccession(
            by=command.actor.sub,
            account_id=plan.account_id,
            plan_id=plan.plan_id,
            superseded=plan.supersedes or "",
            found=found,
        )
        return register_decide(states[register], completing)

    [outcome, *_] = await command.run_many(
        [
            Step(PLAN, stream, lambda states: successor(states)[0]),
            Step(PLAN, old, predecessor),
            Step(PLAN_REGISTER, register, registered),
        ],
        account_id=plan.account_id,
        hidden=hidden,
    )
    return outcome
