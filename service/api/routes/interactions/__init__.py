"""The interaction log: log (with what it taught us, in one atomic commit), correct, retract; the timeline."""

from fastapi import APIRouter

from service.api.routes.interactions import records, timeline

router = APIRouter()
for part in (records, timeline):
    router.include_router(part.router)
