"""A fencing token on each webhook cursor: the delivery that holds the subscription's lease now.

The lease is a session advisory lock on one connection; its deliveries write the cursor on other connections.
When the lease connection dies (a restart of the server's backend, a network cut noticed late), PostgreSQL
releases the lock at once, but the process learns it only at its next look, and meanwhile another process takes
the lease and delivers too: two senders, interleaving events, and a cursor moved back and forth. A delivery now
claims the cursor with a token when it starts, and every move of the cursor is made only under that token, so the
first write after a takeover finds the token changed and the old delivery stops.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

HOLDER = """
ALTER TABLE webhook_cursors ADD COLUMN holder uuid;
COMMENT ON COLUMN webhook_cursors.holder IS
  'The delivery that last claimed the cursor under the subscription''s lease; only it may move the cursor';
"""


def upgrade() -> None:
    run_script(HOLDER)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
