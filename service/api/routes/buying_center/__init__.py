"""The buying-center map: members, their roles and attitudes, links between them, coverage risks; JSON and SVG."""

from fastapi import APIRouter

from service.api.routes.buying_center import assessment, coverage, map, members, relationships

router = APIRouter()
for part in (map, members, assessment, coverage, relationships):
    router.include_router(part.router)
