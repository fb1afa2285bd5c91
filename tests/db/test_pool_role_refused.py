"""RoleRefused names KAMPLAN_DB_ROLE only for a refusal of the role: another setting of the session PostgreSQL refuses
with the same SQLSTATE 22023 (a value out of its range) is not blamed on a role the server has."""

from __future__ import annotations

import asyncpg
import pytest

from service.db.pool import RoleRefused, create_pool
from tests.conftest import IsolatedDb


async def test_a_timeout_out_of_range_is_not_called_a_missing_role(isolated: IsolatedDb) -> None:
    """Before, any 22023 at connect with a role set became "no role of that name", here for kamplan_app, which exists,
    while the setting to fix was KAMPLAN_IDLE_IN_TRANSACTION_TIMEOUT_MS (past PostgreSQL's 2147483647)."""
    with pytest.raises(asyncpg.InvalidParameterValueError) as raised:
        await create_pool(
            isolated.url, role="kamplan_app", min_size=1, max_size=1, idle_in_transaction_timeout_ms=2**31
        )
    assert not isinstance(raised.value, RoleRefused)


async def test_a_role_the_server_lacks_is_named(isolated: IsolatedDb) -> None:
    with pytest.raises(RoleRefused, match="KAMPLAN_DB_ROLE 'kamplan_ap' was refused"):
        await create_pool(isolated.url, role="kamplan_ap", min_size=1, max_size=1)
