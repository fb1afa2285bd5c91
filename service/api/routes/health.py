"""Liveness, readiness and Prometheus metrics: unauthenticated, for orchestrators and scrapers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.api.deps import RuntimeDep
from service.logs import request_id_var
from service.projections.status import projection_status

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Ready to serve: the database answers; each projection's lag, and whether it is failing",
    responses={503: {"description": "Not ready; `checks` says what failed"}},
)
async def readyz(runtime: RuntimeDep) -> Any:
    """200 `ready`, or 200 `degraded` while a projection's batches fail (its entry's `failing` says since when, how
    often, the error's class and the positions). Still 200: a failing projection stalls only its own views, writes
    and the other reads go on, and taking every process out of service would not mend it."""
    checks: dict[str, Any] = {}
    try:
        async with asyncio.timeout(2):
            head = await runtime.store.head_position()
            checks["database"] = {"status": "ok", "head_position": head}
            checks["projections"] = await projection_status(runtime.pool, head)
    except Exception as error:
        # the text may name the server, its user or socket path: the unauthenticated caller gets the class only
        log.warning("not ready: %s: %s", type(error).__name__, error, extra={"request_id": request_id_var.get()})
        checks["database"] = {"status": "unavailable", "error": type(error).__name__}
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    failing = any("failing" in p for p in checks["projections"])
    return {"status": "degraded" if failing else "ready", "checks": checks}


@router.get("/metrics", operation_id="metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    with contextlib.suppress(Exception):  # lag gauges are refreshed on scrape; the rest is in-process
        async with asyncio.timeout(2):
            await projection_status(runtime.pool, await runtime.store.head_position())
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
