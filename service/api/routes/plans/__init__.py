"""Long-range account plans and their joint planning: draft, propose, comment, request changes, agree; sessions;
progress; the plan in force, as of any moment, with the review trail and the diff between revisions."""

from fastapi import APIRouter

from service.api.routes.plans import abandoning, drafting, progress, queues, reading, review, sessions

router = APIRouter()
for part in (drafting, abandoning, reading, review, sessions, progress, queues):
    router.include_router(part.router)
