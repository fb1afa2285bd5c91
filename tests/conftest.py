"""Fixtures: a real PostgreSQL (DATABASE_URL's server, or an embedded one), throwaway databases, the app.

With DATABASE_URL set, the tests create and drop their own databases on that server (it needs CREATEDB)
and never touch the database the URL names. Without it, an embedded PostgreSQL 18 runs in a temporary
directory for the session.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from service.config import Settings
from service.db.embedded import EmbeddedPostgres
from service.db.migrate import migrate
from service.db.pool import create_pool, init_connection
from service.db.urls import asyncpg_dsn, with_database
from service.domain.actors import Role
from service.events import EventStore
from service.main import create_app
from service.projections import registry
from service.projections.runner import ProjectionRunner
from service.projections.waiting import wait_for_position
from service.tokens import TokenKeys

TEST_SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Admin URL of the server the tests use."""
    if url := os.environ.get("DATABASE_URL"):
        yield asyncpg_dsn(url)
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data")
    yield server.start()
    server.stop()


async def _admin(server_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(server_url)


@pytest.fixture(scope="session")
async def template_db(server_url: str) -> AsyncIterator[str]:
    """A migrated database that fresh test databases are copied from."""
    name = f"kamplan_tpl_{uuid.uuid4().hex[:10]}"
    admin = await _admin(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    await migrate(url)
    yield name
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
async def make_database(server_url: str, template_db: str) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Factory of fresh, migrated, throwaway databases (dropped at the end of the session)."""
    created: list[str] = []
    admin = await _admin(server_url)
    lock = asyncio.Lock()

    async def make() -> str:
        name = f"kamplan_test_{uuid.uuid4().hex[:10]}"
        async with lock:  # CREATE DATABASE … TEMPLATE needs the template to be idle
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        created.append(name)
        return with_database(server_url, name)

    yield make
    for name in created:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
async def database_url(make_database: Callable[[], Awaitable[str]]) -> str:
    """The session's shared database: tests in it use their own stream ids."""
    return await make_database()


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, role="kamplan_app", min_size=2, max_size=20)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def store(pool: asyncpg.Pool) -> AsyncIterator[EventStore]:
    store = EventStore(pool)
    yield store
    await store.close()


@pytest.fixture
async def superuser(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the server's superuser, to go behind the application's back."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    await init_connection(conn)
    yield conn
    await conn.close()


@dataclass
class IsolatedDb:
    url: str
    pool: asyncpg.Pool
    store: EventStore


@pytest.fixture
async def isolated(make_database: Callable[[], Awaitable[str]]) -> AsyncIterator[IsolatedDb]:
    """A database of its own, for tests that look at the whole log."""
    url = await make_database()
    pool = await create_pool(url, role="kamplan_app", min_size=2, max_size=30)
    store = EventStore(pool)
    yield IsolatedDb(url, pool, store)
    await store.close()
    await pool.close()


TEST_PROJECTIONS = "tests.support.projections"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        jwt_secret=TEST_SECRET,
        log_format="text",
        read_wait_seconds=1.0,
        projection_modules=TEST_PROJECTIONS,
        webhooks="off",  # tests/api/test_webhooks_*.py deliver in apps of their own
        # the test receivers listen on 127.0.0.1, which is blocked by default (test_webhook_destinations.py)
        webhook_allowed_networks="127.0.0.0/8",
    )


@pytest.fixture
async def running(isolated: IsolatedDb) -> AsyncIterator[Callable[..., ProjectionRunner]]:
    """Start projection runners on the isolated database: running(projections, **options)."""
    tasks: list[asyncio.Task[None]] = []

    def start(projections: list[Any] | None = None, **options: Any) -> ProjectionRunner:
        chosen = projections if projections is not None else registry.load([TEST_PROJECTIONS], isolated.store.upcasters)
        runner = ProjectionRunner(isolated.store, chosen, poll_seconds=0.1, **options)
        tasks.append(asyncio.create_task(runner.run()))
        return runner

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def caught_up(db: IsolatedDb, names: list[str], seconds: float = 20.0) -> int:
    """Wait until the live generations of `names` have applied everything in the log; return the head."""
    head = await db.store.head_position()
    await wait_for_position(db.pool, names, head, seconds)
    return head


@pytest.fixture(scope="session")
def tokens(settings: Settings) -> TokenKeys:
    return TokenKeys.from_settings(settings)


@pytest.fixture(scope="session")
def auth(tokens: TokenKeys) -> Callable[..., dict[str, str]]:
    """Headers with a bearer token: auth("alice", Role.MANAGER, team="north")."""

    def headers(sub: str = "alice", role: Role = Role.MANAGER, team: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.mint(sub, role, team)}"}

    return headers


@pytest.fixture(scope="session")
async def client(settings: Settings, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI, lifespan included (pool, store), against the session database."""
    app = create_app(settings, database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kamplan.test") as client:
            yield client


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
