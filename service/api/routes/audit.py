"""The audit log: who did what, when, from which request; filterable, newest first, cursor-paginated."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from service.api.auth import require
from service.api.deps import RuntimeDep
from service.api.freshness import LAGGING, fresh
from service.api.moments import Moment
from service.api.pagination import Cursor, Limit, counter, decode_cursor, page
from service.domain.actors import Actor, Role
from service.projections import audit

router = APIRouter(tags=["audit"])


class AuditEntry(BaseModel):
    position: int
    event_id: UUID
    stream_id: str
    stream_type: str
    stream_version: int
    event_type: str
    actor: str | None
    actor_role: str | None
    actor_team: str | None
    request_id: str | None
    correlation_id: str | None
    causation_id: str | None
    source: str | None
    occurred_at: datetime
    recorded_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


@router.get(
    "/audit",
    operation_id="listAudit",
    summary="The audit log, newest first",
    response_model=AuditPage,
    responses=LAGGING,
)
async def list_audit(
    runtime: RuntimeDep,
    _: Annotated[Actor, Depends(require(Role.ADMIN, Role.BI))],
    __: Annotated[int | None, Depends(fresh("audit_log"))],
    stream_id: str | None = None,
    actor: Annotated[str | None, Query(description="Subject of the acting user.")] = None,
    event_type: str | None = None,
    since: Annotated[Moment | None, Query(description="Recorded at or after this time.")] = None,
    until: Annotated[Moment | None, Query(description="Recorded before this time.")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> AuditPage:
    start = decode_cursor(cursor, before=counter)
    rows = await audit.query(
        runtime.pool,
        audit.AuditFilter(stream_id, actor, event_type, since, until),
        start["before"] if start else None,
        limit + 1,
    )
    items, next_cursor = page(rows, limit, lambda last: {"before": last["position"]})
    return AuditPage(items=[AuditEntry(**row) for row in items], next_cursor=next_cursor)
