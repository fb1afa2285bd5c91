"""The client dossier: answers by group, gaps, staleness and completeness; answers with their history; documents."""

from fastapi import APIRouter

from service.api.routes.dossier import answers, documents, reading

router = APIRouter()
for part in (reading, answers, documents):
    router.include_router(part.router)
