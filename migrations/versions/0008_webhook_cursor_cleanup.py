"""The dispatcher may delete the cursors of deleted webhook subscriptions (they were kept for ever).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

GRANT = "GRANT DELETE ON webhook_cursors TO kamplan_app;"


def upgrade() -> None:
    run_script(GRANT)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
