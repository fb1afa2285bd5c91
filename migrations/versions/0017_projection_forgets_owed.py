"""A build of another version owes the forgets applied while a process held its lease, until it applies them.

A forget empties the builds of another version that no process runs (an upgrade rolled back), since the code left
cannot refold their rows. A build whose lease a process held at that moment was left to that process; had it stopped
for good before it got to the forget, the build kept the person in clear until some later forget found it let go.
The forget is now recorded here, and the runners empty the build as soon as no process holds its lease.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""

from service.db.migrate import run_script

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FORGET_OWED = """
ALTER TABLE projection_generations ADD COLUMN forget_owed bigint;
COMMENT ON COLUMN projection_generations.forget_owed IS
  'The position of the last forget applied to the projection while this build, of another version, held rows from '
  'before it and a process held its lease. Owed while the checkpoint is below it: the build is emptied (and this '
  'set back to null) once no process holds its lease';
"""


def upgrade() -> None:
    run_script(FORGET_OWED)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
