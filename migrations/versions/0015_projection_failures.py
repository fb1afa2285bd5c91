"""A projection's failure, kept with its checkpoint, so that every process can report it.

A batch that raises is rolled back and tried again later; a batch that raises every time (an event its code
cannot apply) stalls the projection for good. That was visible only in the log of the one process holding its
lease, and as a rising counter on that process's /metrics, while /readyz on every process said ready. The
runner now records the failure here, and the next batch that commits clears it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25
"""

from service.db.migrate import run_script

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FAILURE = """
ALTER TABLE projection_generations ADD COLUMN failure jsonb;
COMMENT ON COLUMN projection_generations.failure IS
  'While the generation''s batches fail (null once one commits): since, last_at, attempts, the error''s class and '
  'the positions of the failing batch. The error''s text is in the log of the process that applied it';
"""


def upgrade() -> None:
    run_script(FAILURE)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
