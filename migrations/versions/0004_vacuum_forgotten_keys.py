"""Autovacuum takes `subject_keys` and `snapshots` at their first dead row.

Forgetting a subject is an UPDATE of its key to NULL and a DELETE of the snapshots holding its data: the old
row versions, key and plaintext, stay in the table's pages until a vacuum removes them, and these small
tables would otherwise wait for 50 dead rows and more. (WAL archives and backups keep them for as long as
they are kept; docs/architecture.md says so.)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

VACUUM_AT_ONCE = """
ALTER TABLE subject_keys SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0);
ALTER TABLE snapshots SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0);
"""


def upgrade() -> None:
    run_script(VACUUM_AT_ONCE)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
