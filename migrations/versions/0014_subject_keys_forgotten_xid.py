"""The transaction that forgot a subject, kept with its destroyed key.

A snapshot of a stream holding a forgotten subject's data was never saved again, since a load that read the
subject's plaintext before the forget could otherwise save it after the forget's purge. So every load of such a
stream (a buying center with one forgotten person) folded it from its first event. Knowing the forget's
transaction, a save can tell a load that saw the forget committed (its state is redacted, so its snapshot is
safe) from one that began before it.

Subjects forgotten before this migration get its own transaction, which every load of the new code sees
committed. One forgotten later by older code running beside it has none, and its streams keep no snapshot, as
before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25
"""

from service.db.migrate import run_script

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FORGOTTEN_XID = """
ALTER TABLE subject_keys ADD COLUMN forgotten_xid xid8;
COMMENT ON COLUMN subject_keys.forgotten_xid IS
  'The transaction that forgot the subject (null: not forgotten, or forgotten by older code): a snapshot of its '
  'streams is saved only by a load that began after that transaction committed';
UPDATE subject_keys SET forgotten_xid = pg_current_xact_id() WHERE forgotten_at IS NOT NULL;
GRANT UPDATE (forgotten_xid) ON subject_keys TO kamplan_app;
"""


def upgrade() -> None:
    run_script(FORGOTTEN_XID)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
