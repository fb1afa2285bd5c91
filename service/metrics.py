"""Prometheus metrics of the process, exported at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

APPEND_SECONDS = Histogram(
    "kamplan_append_seconds", "Event store append latency: queueing, group commit and durable commit.", buckets=_LATENCY
)
APPEND_BATCH_EVENTS = Histogram(
    "kamplan_append_batch_events",
    "Events written per group-committed statement.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000),
)
EVENTS_APPENDED = Counter("kamplan_events_appended_total", "Events appended by this process.")
SUBSCRIPTION_STALL_SECONDS = Gauge(
    "kamplan_subscription_stall_seconds",
    "How long a subscriber has been held back by an open transaction that may still commit earlier events.",
    ["subscriber"],
)
REQUEST_SECONDS = Histogram(
    "kamplan_http_request_seconds", "HTTP request latency.", ["method", "route", "status"], buckets=_LATENCY
)
PROJECTION_EVENTS_APPLIED = Counter(
    "kamplan_projection_events_applied_total", "Events applied to a projection by this process.", ["projection"]
)
PROJECTION_FAILURES = Counter(
    "kamplan_projection_failures_total",
    "Batches of a projection that failed (rolled back, retried later): a rising count is a stalled projection.",
    ["projection"],
)
PROJECTION_POSITION = Gauge(
    "kamplan_projection_position",
    "Checkpoint (global position) of a projection's generation.",
    ["projection", "status"],
)
PROJECTION_LAG_EVENTS = Gauge(
    "kamplan_projection_lag_events",
    "Positions between the log's head and a live projection's checkpoint.",
    ["projection"],
)
PROJECTION_LAG_SECONDS = Gauge(
    "kamplan_projection_lag_seconds",
    "Age of the oldest event a live projection has not applied yet (0 when caught up).",
    ["projection"],
)
PROJECTION_FAILING = Gauge(
    "kamplan_projection_failing",
    "1 while a projection's batches fail (in any process; refreshed on scrape), 0 once one commits.",
    ["projection", "status"],
)
WEBHOOK_ATTEMPTS = Counter(
    "kamplan_webhook_attempts_total", "Webhook delivery attempts by this process, by outcome.", ["outcome"]
)
