"""Alembic environment: runs on the connection `service.db.migrate` hands over (asyncpg via run_sync)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `kamplan migrate`, which supplies the connection")

# the transaction is alembic's (not begun by the caller), so a migration's autocommit_block can commit it
context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
