"""The URL a webhook subscription's failure streak belongs to, kept with its cursor.

A new URL starts a fresh failure streak. The delivery knew the URL it had served only while it ran, so a URL
changed while the subscription was paused (or delivered by another process since) kept the old URL's failures,
and the new receiver got a few attempts before the subscription was disabled again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

STREAK_URL = """
ALTER TABLE webhook_cursors ADD COLUMN url text;
COMMENT ON COLUMN webhook_cursors.url IS
  'The URL the failures in a row were counted against (null: none yet, or counted before this was kept)';
"""


def upgrade() -> None:
    run_script(STREAK_URL)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
