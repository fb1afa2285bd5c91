"""Liveness, readiness and Prometheus metrics: unauthenticated, for orchestrators and scrapers."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.api.deps import RuntimeDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Ready to serve: the database answers",
    responses={503: {"description": "Not ready; `checks` says what failed"}},
)
async def readyz(runtime: RuntimeDep) -> Any:
    checks: dict[str, Any] = {}
    try:
        async with asyncio.timeout(2):
            checks["database"] = {"status": "ok", "head_position": await runtime.store.head_position()}
    except Exception as error:
        checks["database"] = {"status": "unavailable", "error": f"{type(error).__name__}: {error}"}
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    return {"status": "ready", "checks": checks}


@router.get("/metrics", operation_id="metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
