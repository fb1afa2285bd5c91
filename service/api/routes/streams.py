"""The raw log of one stream, for administrators and auditors: every event with its metadata."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.api.deps import AdminDep, StoreDep
from service.api.moments import Moment
from service.api.pagination import Cursor, counter, decode_cursor, page
from service.commands.aggregates import WEBHOOKS_STREAM
from service.events import RecordedEvent

router = APIRouter(tags=["audit"])


class EventOut(BaseModel):
    position: int
    stream_version: int
    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    redacted: list[str]


class StreamPage(BaseModel):
    stream_id: str
    events: list[EventOut]
    next_cursor: str | None


@router.get(
    "/streams/{stream_id}", operation_id="readStream", summary="Events of one stream", response_model=StreamPage
)
async def read_stream(
    stream_id: str,
    _: AdminDep,
    store: StoreDep,
    as_of: Annotated[Moment | None, Query(description="Show the stream as recorded at this time.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> StreamPage:
    start = decode_cursor(cursor, after_version=counter)
    after = start["after_version"] if start else 0
    events = await store.read_stream(stream_id, from_version=after, to_version=after + limit + 1, as_of=as_of)
    shown, next_cursor = page(events, limit, lambda last: {"after_version": last.stream_version})
    return StreamPage(stream_id=stream_id, events=[_out(e) for e in shown], next_cursor=next_cursor)


def _out(event: RecordedEvent) -> EventOut:
    fields = {k: getattr(event, k) for k in EventOut.model_fields if k != "redacted"}
    if event.stream_id == WEBHOOKS_STREAM and "secret" in event.data:  # shown once, to its creator, and never again
        fields["data"] = {**event.data, "secret": None}
    return EventOut(**fields, redacted=list(event.redacted))
