"""How hard the dispatcher tries: timeouts, the backoff between retries, when to give up, what to keep."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    """The settings of delivery (`KAMPLAN_WEBHOOK_*`); the defaults are production's, tests shorten them."""

    timeout_seconds: float = 10.0
    retry_base_seconds: float = 2.0  # the first retry waits about this long, each next one twice as long
    retry_max_seconds: float = 3600.0
    disable_after: int = 30  # failed attempts in a row
    poll_seconds: float = 1.0  # how often new subscriptions, and changes to the one being delivered, are looked for
    batch_size: int = 100
    keep_attempts_days: int = 30  # the attempt log's rows older than this are deleted, once an hour
    keep_erp_deliveries_days: int = 30  # and the ERP's delivery ids older than this

    def backoff(self, failures: int) -> float:
        """Exponential, capped, with ±25% jitter so that retries of many subscriptions do not align."""
        delay = min(self.retry_max_seconds, self.retry_base_seconds * 2 ** min(failures - 1, 64))
        return delay * random.uniform(0.75, 1.25)
