"""create_app(): the one place that wires the API together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from service.api import problem_docs, problems
from service.api.input_guard import refuse_unstorable
from service.api.middleware import BodyLimit, RequestContext
from service.api.query_guard import refuse_unknown_query
from service.api.routes import (
    accounts,
    audit,
    buying_center,
    dossier,
    erp,
    health,
    interactions,
    me,
    opportunities,
    pipeline,
    plans,
    portfolio,
    privacy,
    purchases,
    streams,
    webhook_secrets,
    webhooks,
)
from service.api.routes import (
    settings as settings_routes,
)
from service.config import Settings
from service.logs import error_line, handles_event_data
from service.runtime import Runtime

log = handles_event_data(logging.getLogger(__name__))  # starting reads what is stored (generations, the log's head)

VERSION = "0.1.0"

DESCRIPTION = """\
Event-sourced account planning for B2B key account managers and their supervisors.

Every change is an immutable event; every view is a projection that can be replayed as of any moment.
Errors are RFC 9457 `application/problem+json` documents with a stable `type` per rule.
Every response carries `X-Request-ID`; commands answer with `X-Position`, the global position of their
last event. Reads of projections accept that position as `min_position` (or the `X-Min-Position`
header) and wait until the projections they read have applied it (503 `projection-lagging` after
`KAMPLAN_READ_WAIT_SECONDS`).
"""


class LifespanFailed(Exception):
    """The service's start-up or shutdown failed: the log has the cause and its traceback."""


@asynccontextmanager
async def _reported(stage: str) -> AsyncIterator[None]:
    """A failure of `stage`, logged by the rule of work on stored events, then raised as one line of ours: starlette
    hands uvicorn a lifespan's traceback as text, which it logs as is, a foreign error's text (a key a unique
    violation quotes) and all."""
    try:
        yield
    except Exception as error:
        log.error("%s failed", stage, exc_info=error)
        raise LifespanFailed(f"{stage} failed: {error_line(error, event_data=True)}; its traceback is logged") from None


def create_app(settings: Settings, database_url: str | None = None) -> FastAPI:
    """The ASGI app. Nothing connects until the lifespan starts, so building it for OpenAPI is free."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if database_url is None:
            raise RuntimeError("create_app() needs a database_url to serve")
        async with _reported("start-up"):
            runtime = await Runtime.open(settings, database_url)
            await runtime.ensure_read_tables()
            if settings.projections == "inprocess":
                runtime.start_projections()
            if settings.webhooks == "inprocess":
                runtime.start_webhooks()
        app.state.runtime = runtime
        try:
            yield
        finally:
            async with _reported("shutdown"):
                await runtime.close()

    app = FastAPI(title="kamplan", version=VERSION, description=DESCRIPTION, lifespan=lifespan)
    problems.install(app)
    problem_docs.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContext)
    app.include_router(health.router)
    for router in (
        me.router,
        accounts.router,
        dossier.router,
        buying_center.router,
        opportunities.router,
        interactions.router,
        pipeline.router,
        plans.router,
        portfolio.router,
        settings_routes.router,
        privacy.router,
        streams.router,
        audit.router,
        webhooks.router,
        webhook_secrets.router,
        erp.router,
        purchases.router,
    ):
        guards = (
            [Depends(refuse_unstorable)]
            if router is erp.router
            else [Depends(refuse_unstorable), Depends(refuse_unknown_query)]
        )
        app.include_router(router, prefix="/v1", dependencies=guards)
    return app
