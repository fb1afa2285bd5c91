"""What every command endpoint shares: If-Match, Idempotency-Key, the handler, ETag and X-Position."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel, Field

from service.api.deps import ActorDep, RuntimeDep, event_metadata
from service.api.problems import Problem
from service.commands.aggregates import ACCOUNT, SETTINGS, SETTINGS_STREAM, account_stream
from service.commands.handler import CommandHandler, Outcome, Step
from service.commands.idempotency import Idempotency, request_hash
from service.commands.preconditions import IfMatch
from service.domain.account.access import ensure_visible
from service.domain.account.state import Account
from service.domain.actors import Actor
from service.domain.errors import NotFound
from service.domain.settings.state import CompanySettings
from service.events.aggregate import Loaded
from service.runtime import Runtime

# A version in quotes (our ETags; both quotes or neither), bare, or marked weak: proxies that compress a
# response weaken its ETag, and a client echoing W/"3" means version 3 (RFC 9110 would have weak tags never
# match). At most 18 digits: a version is a bigint, and Python refuses to read ints of over 4300 digits. A view
# that shows more than its stream tags it "3.<digest>" (conditional.view_etag): If-Match reads the version.
_TAG = r"([0-9]{1,18})(?:\.[0-9a-f]{16})?"
ETAG = re.compile(rf'\s*(?:W/)?(?:"{_TAG}"|{_TAG})\s*')


def parse_if_match(value: str | None) -> IfMatch | None:
    """`"3"`, a list `"3", "4"` (any of them), or `*` (any version, but the resource must exist)."""
    if value is None:
        return None
    if value.strip() == "*":
        return IfMatch(None)
    matches = [ETAG.fullmatch(part) for part in value.split(",") if part.strip()]  # empty elements: ignored
    if not matches or not all(matches):
        raise Problem(
            422,
            "/problems/invalid-if-match",
            "Invalid If-Match",
            'If-Match takes an ETag of this API ("3", or a view\'s "3.<digest>"), a list of them ("3", "4") or *',
        )
    return IfMatch(frozenset(int(m.group(1) or m.group(2)) for m in matches if m))


@dataclass(frozen=True)
class Command:
    """The context of one command request."""

    runtime: Runtime
    actor: Actor
    metadata: dict[str, Any]
    if_match: IfMatch | None
    idempotency: Idempotency | None

    @property
    def handler(self) -> CommandHandler:
        return CommandHandler(self.runtime.store, self.runtime.repository)

    async def answered_before(self) -> bool:
        """Whether this caller's Idempotency-Key already stored a request (this one, or another the handler will
        refuse). Checks a route makes before the handler on something other than the stored events (a URL's
        destination, the log's head) are skipped for it: the handler answers as the first time, whatever they would
        say now, so they must not refuse a retry of a request that landed."""
        if self.idempotency is None:
            return False
        return bool(await self.runtime.store.read_events([self.idempotency.event_id(self.actor.sub, 0)]))

    def new_id(self, what: str) -> str:
        """A fresh id for what the command creates; derived from the Idempotency-Key when there is one."""
        return self.idempotency.derive(self.actor.sub, what) if self.idempotency else str(uuid4())

    async def run(
        self, kind: Any, stream_id: str, decide: Any, *, account_id: str | None = None, hidden: NotFound | None = None
    ) -> Outcome[Any]:
        """`decide(state)` on the stream; with `account_id`, only while the actor may see that account (`run_many`)."""
        [outcome, *_] = await self.run_many(
            [Step(kind, stream_id, lambda states: decide(states[stream_id]))], account_id=account_id, hidden=hidden
        )
        return outcome

    async def run_many(
        self, steps: Sequence[Step], *, account_id: str | None = None, hidden: NotFound | None = None
    ) -> list[Outcome[Any]]:
        """The steps in one append (`CommandHandler.execute_many`). With `account_id`, only while the actor may see
        that account, judged on the account as the handler loads it (steps may read it from the states) and checked
        at the append: a hand-over racing the request is a conflict, decided again, not a write by the old owner.
        A hidden account answers `hidden` (the own 404 of a resource addressed by its id) or `account-not-found`."""
        if account_id is not None:
            steps = guarded(steps, account_stream(account_id), self.actor, hidden)
        outcomes = await self.handler.execute_many(
            steps,
            actor=self.actor.sub,
            metadata=self.metadata,
            if_match=self.if_match,
            idempotency=self.idempotency,
        )
        if outcomes[0].replayed:
            return await self._as_first_answered(steps, outcomes)
        return outcomes

    async def _as_first_answered(self, steps: Sequence[Step], outcomes: list[Outcome[Any]]) -> list[Outcome[Any]]:
        """A retry's states as the first answer showed them: right after the request's own events, nothing newer
        (later changes, by anyone, would not match the version answered, and the caller may no longer see them)."""
        at = max(o.position for o in outcomes if o.position is not None)
        replayed = []
        for step, outcome in zip(steps, outcomes, strict=True):
            loaded = await self.runtime.repository.load(step.kind, outcome.stream_id, position=at)
            replayed.append(replace(outcome, state=loaded.state))
        return replayed


def guarded(steps: Sequence[Step], account: str, actor: Actor, hidden: NotFound | None) -> list[Step]:
    """`steps` with the actor's right on the account judged before the first decides (so that nothing else is told
    about a hidden account), and the account's stream loaded and version-checked with them."""
    first, *rest = steps

    def decide_first(states: dict[str, Any]) -> Sequence[Any]:
        try:
            ensure_visible(states[account], actor)
        except NotFound:
            if hidden is None:
                raise
            raise hidden from None
        return first.decide(states)

    check = [] if any(s.stream_id == account for s in steps) else [Step(ACCOUNT, account, lambda states: [])]
    return [Step(first.kind, first.stream_id, decide_first), *rest, *check]


async def command_context(
    request: Request,
    runtime: RuntimeDep,
    actor: ActorDep,
    if_match: Annotated[
        str | None,
        Header(
            description='The ETag you last read ("3"): refused with 412 if the resource changed since. A list '
            '("3", "4") takes any of them; * takes any version of a resource that exists.'
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=200,
            description="Repeat a request safely: a retry with the same key answers as the first time, "
            "writing nothing; the same key with a different request is refused (422).",
        ),
    ] = None,
) -> Command:
    idempotency = None
    if idempotency_key is not None:
        body = await request.body()
        idempotency = Idempotency(
            idempotency_key, request_hash(idempotency_key, request.method, request.url.path, body)
        )
    # several If-Match lines are one list (RFC 9110, 5.3); the parameter above documents the header
    lines = request.headers.getlist("if-match")
    condition = parse_if_match(", ".join(lines)) if if_match is not None else None
    return Command(runtime, actor, event_metadata(request, actor), condition, idempotency)


CommandDep = Annotated[Command, Depends(command_context)]


class Warning_(BaseModel):
    code: str = Field(examples=["key-account-ceiling-exceeded"])
    message: str
    details: dict[str, Any] = {}


class Written(BaseModel):
    """Where a command landed: send `version` as If-Match next time, `position` as min_position to reads."""

    version: int = Field(description="The resource's version after the command (its ETag).")
    position: int | None = Field(description="Global position of the last event written; null if nothing changed.")
    replayed: bool = Field(False, description="True when an Idempotency-Key retry returned the first answer.")
    warnings: list[Warning_] = []


def set_etag(response: Response, version: int) -> None:
    """The resource's version as its strong ETag, the form `parse_if_match` reads back."""
    response.headers["ETag"] = f'"{version}"'


def written(response: Response, outcome: Outcome[Any], warnings: list[Warning_] | None = None) -> Written:
    return answered(
        response,
        Written(version=outcome.version, position=outcome.position, replayed=outcome.replayed, warnings=warnings or []),
    )


def answered(response: Response, answer: Written) -> Written:
    """A command's answer with its headers: the ETag of the version, and X-Position of the last event written."""
    set_etag(response, answer.version)
    if answer.position is not None:
        response.headers["X-Position"] = str(answer.position)
    return answer


async def company_settings(runtime: Runtime, as_of: datetime | None = None) -> CompanySettings:
    return (await runtime.repository.load(SETTINGS, SETTINGS_STREAM, as_of=as_of)).state


async def visible_account(runtime: Runtime, actor: Actor, account_id: str) -> Loaded[Account]:
    """The account now, if the actor may see it; otherwise 404 (existence is not leaked)."""
    loaded = await runtime.repository.load(ACCOUNT, account_stream(account_id))
    ensure_visible(loaded.state, actor)
    return loaded


async def account_then(runtime: Runtime, actor: Actor, account_id: str, as_of: datetime | None) -> Loaded[Account]:
    """The account as it was at `as_of` (now, without it), if the actor may see it now; a 404 for a moment
    before it existed, as `GET /accounts/{id}?as_of=` answers, so no view of it is made up for then."""
    current = await visible_account(runtime, actor, account_id)
    if as_of is None:
        return current
    then = await runtime.repository.load(ACCOUNT, account_stream(account_id), as_of=as_of)
    if not then.state.exists:
        raise NotFound("account-not-found", "the account did not exist at that moment")
    return then


async def account_of(runtime: Runtime, actor: Actor, account_id: str, hidden: NotFound) -> Loaded[Account]:
    """The account of a resource addressed by its own id (a project, a plan, an interaction), if the actor may
    see it; otherwise `hidden`, the resource's own 404, the same as for an id that does not exist.
    `account-not-found` there would tell that the resource exists."""
    try:
        return await visible_account(runtime, actor, account_id)
    except NotFound:
        raise hidden from None


async def existing(runtime: Runtime, kind: Any, stream_id: str, hidden: NotFound) -> Loaded[Any]:
    """A resource addressed by its own id, for a command on it: `hidden` if there is none. Whether the actor may see
    its account is judged by the handler (`Command.run_many(account_id=...)`), after a keyed retry is answered as the
    first time, so a former owner's retry after a hand-over gets its answer, as on the account's own routes."""
    loaded = await runtime.repository.load(kind, stream_id)
    if not loaded.state.exists:
        raise hidden
    return loaded
