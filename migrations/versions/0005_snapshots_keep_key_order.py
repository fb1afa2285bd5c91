"""Snapshots are stored as json, which keeps the text as written, instead of jsonb, which reorders keys.

A state's maps (members, links, answers) keep the order in which the fold inserted them, and views list them
in that order. jsonb stores object keys shortest first, so a state restored from a snapshot listed them in
another order than the same state folded from the events: an `as_of` view changed its order depending on
whether a snapshot existed. Snapshots are disposable, so the old ones go.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KEEP_ORDER = """
DELETE FROM snapshots;
ALTER TABLE snapshots ALTER COLUMN state TYPE json USING state::json;
"""


def upgrade() -> None:
    run_script(KEEP_ORDER)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
