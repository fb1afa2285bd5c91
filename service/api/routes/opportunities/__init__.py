"""Sales projects: open, record the facts the exit criteria read, advance (or override), lose, reopen; the view."""

from fastapi import APIRouter

from service.api.routes.opportunities import approval_and_launch, confirmation, early_stages, lifecycle

router = APIRouter()
for part in (lifecycle, early_stages, confirmation, approval_and_launch):
    router.include_router(part.router)
