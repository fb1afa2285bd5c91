"""Webhook delivery throughput of the dispatcher against a bare sender, side by side in one run.

    python bench/webhooks.py [--events 3000] [--rounds 3]

Uses the server of DATABASE_URL (a throwaway database is created and dropped there) or, when unset, an
embedded PostgreSQL 18 in a temporary directory (bench/throwaway.py). Prints JSON.

The log holds `--events` interaction events. Both contenders deliver all of them, one after another, to the
same local HTTP receiver (tests/support/receiver.py, answering 204):
  dispatcher  a subscription from position 0, delivered by `WebhookDispatcher` as `kamplan serve` runs it:
              lease, cursor, attempt log, change checks, signing; timed until its cursor reaches the head
  baseline    what any sender does at the least: read the log in batches, build and sign each body, POST it,
              with no cursor and no attempt log (a crash would lose its place)
Rounds alternate the order. Besides events/s: CPU µs per event of this process (client, receiver threads
included) and, when the server runs here, of its backends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import throwaway
from bench.append import DATA, METADATA, _cpu_medians, _median_ratio, _server_cpu
from service.commands.aggregates import WEBHOOKS, WEBHOOKS_STREAM
from service.commands.handler import CommandHandler
from service.db.migrate import migrate
from service.db.pool import create_pool
from service.domain.actors import Actor, Role
from service.domain.webhooks import commands as cmd
from service.domain.webhooks.decide import decide
from service.events import NO_STREAM, EventStore, NewEvent
from service.events.aggregate import Repository
from service.webhooks import message
from service.webhooks.dispatcher import WebhookDispatcher
from service.webhooks.policy import Policy
from service.webhooks.sending import send
from service.webhooks.signing import new_secret
from tests.support.receiver import Receiver, receiver

ADMIN = Actor("bench", Role.ADMIN)
EVENTS_PER_STREAM = 100
CURSOR = "SELECT position FROM webhook_cursors WHERE subscription_id = $1"


async def fill(store: EventStore, events: int) -> None:
    for start in range(0, events, EVENTS_PER_STREAM):
        batch = [
            NewEvent(event_type="InteractionLogged", data=DATA) for _ in range(min(EVENTS_PER_STREAM, events - start))
        ]
        await store.append(f"interaction-{start}", "interaction", NO_STREAM, batch, METADATA)


async def baseline(store: EventStore, hook: Receiver, head: int) -> None:
    secret, after = new_secret(), 0
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        while after < head:
            events = await store.read_all(after, 100)
            for event in events:
                if event.stream_id == WEBHOOKS_STREAM:
                    continue
                sent = await send(http, hook.url, [secret], str(event.event_id), message.body(event), 10.0)
                if sent.error is not None:
                    raise RuntimeError(sent.error)
            after = events[-1].position


async def dispatcher(store: EventStore, hook: Receiver, head: int, number: int) -> None:
    handler, sid = CommandHandler(store, Repository(store)), f"bench-{number}"
    create = cmd.CreateSubscription(actor=ADMIN, subscription_id=sid, url=hook.url, event_types=None,
                                    description="", secret=new_secret(), start_after=0)  # fmt: skip
    await handler.execute(WEBHOOKS, WEBHOOKS_STREAM, lambda state: decide(state, create), actor="bench", metadata={})
    task = asyncio.create_task(WebhookDispatcher(store, Policy(poll_seconds=0.05)).run())
    try:
        async with store.pool.acquire() as conn:
            while (await conn.fetchval(CURSOR, sid) or 0) < head:  # noqa: ASYNC110 (the cursor is in the database)
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    delete = cmd.DeleteSubscription(actor=ADMIN, subscription_id=sid)
    await handler.execute(WEBHOOKS, WEBHOOKS_STREAM, lambda state: decide(state, delete), actor="bench", metadata={})


async def bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    await migrate(url)
    pool = await create_pool(url, role=None, min_size=2, max_size=12)
    store = EventStore(pool)
    await fill(store, args.events)
    head = await store.head_position()
    rates: dict[str, list[float]] = {"dispatcher": [], "baseline": []}
    cpu: dict[str, list[dict[str, float]]] = {"dispatcher": [], "baseline": []}
    with receiver(keep_alive=True) as hook:
        for round_no in range(args.rounds):
            order = ["dispatcher", "baseline"] if round_no % 2 == 0 else ["baseline", "dispatcher"]
            for name in order:
                before, client = await _server_cpu(pool), time.process_time()
                started = time.perf_counter()
                if name == "dispatcher":
                    await dispatcher(store, hook, head, round_no)
                else:
                    await baseline(store, hook, head)
                elapsed = time.perf_counter() - started
                rates[name].append(args.events / elapsed)
                used = {"client": (time.process_time() - client) / args.events * 1e6}
                if after := await _server_cpu(pool):
                    used["server"] = sum(u - before.get(p, 0.0) for p, u in after.items()) / args.events * 1e6
                cpu[name].append(used)
        delivered = len(hook.received)
    await store.close()
    await pool.close()
    return {
        "benchmark": "webhooks",
        "events": args.events,
        "rounds": args.rounds,
        "requests_received": delivered,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "events_per_second": {name: [round(r) for r in values] for name, values in rates.items()},
        "median_events_per_second": {name: round(statistics.median(v)) for name, v in rates.items()},
        "dispatcher_vs_baseline_per_round": [
            round(d / b, 2) for d, b in zip(rates["dispatcher"], rates["baseline"], strict=True)
        ],
        "dispatcher_vs_baseline_median": _median_ratio(rates["dispatcher"], rates["baseline"]),
        "median_cpu_us_per_event": {name: _cpu_medians(rounds) for name, rounds in cpu.items()},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000, help="events in the log, each delivered per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median reported)")
    arguments = parser.parse_args()
    print(json.dumps(throwaway.run(lambda url: bench(url, arguments)), indent=2))
