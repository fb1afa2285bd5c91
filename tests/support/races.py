"""A hand-over committed between a command's look at an account and its handler's own load of it: the race in which
the old owner's write used to land in an account no longer theirs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.events.aggregate import Repository
from tests.api.test_accounts import unique


def hand_over_after_first_load(
    monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient, account_id: str, headers: dict[str, str]
) -> list[str]:
    """Hand the account to a new manager right after the command's first load of its stream: the handler's, which
    judges the actor's right on it. Returns the command's loads of that stream, the hand-over's own not counted: two
    means the handler met the change at the append and decided again."""
    stream, original, loads = f"account-{account_id}", Repository.load, []
    handing: list[bool] = []

    async def load_then_hand_over(self: Repository, kind: Any, stream_id: str, **options: Any) -> Any:
        loaded = await original(self, kind, stream_id, **options)
        if stream_id == stream and not handing:
            loads.append(stream_id)
            if len(loads) == 1:
                handing.append(True)
                try:
                    handed = await client.post(
                        f"/v1/accounts/{account_id}/hand-over",
                        json={"to_owner": unique("kam"), "trigger": "contract_signed"},
                        headers=headers,
                    )
                finally:
                    handing.clear()
                assert handed.status_code == 200, handed.text
        return loaded

    monkeypatch.setattr(Repository, "load", load_then_hand_over)
    return loads
