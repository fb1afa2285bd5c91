"""Key accounts: open, change, hand over, classify, mark key, move through the lifecycle; list and view."""

from fastapi import APIRouter

from service.api.routes.accounts import directory, standing, stewardship

router = APIRouter()
for part in (directory, stewardship, standing):
    router.include_router(part.router)
