"""The forgets the builds of another version owe, recorded apart from their checkpoint rows.

A forget that meets a build whose lease a process holds records that the build owes it (0017's `forget_owed`, on the
build's checkpoint row). That was an UPDATE of a row the build's process locks for each of its batches: it waited for
the batch under way, and under a lock_timeout or statement_timeout (a database or role setting), or cancelled, it
failed, was only logged, and the forget went on without it: were that process to stop for good before the forget, the
build kept the person in clear until some later forget found it let go. A plain insert here waits for no lock of the
build (no unique key, no foreign key: a key check would wait for the row lock too), so it goes in the forget's own
transaction and commits with it, or with it not at all. 0017's column is still read, as processes of the version
before this one set it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27
"""

from service.db.migrate import run_script

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

FORGET_DEBTS = """
CREATE TABLE projection_forget_debts (
    name        text        NOT NULL,
    generation  integer     NOT NULL,
    position    bigint      NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projection_forget_debts_generation ON projection_forget_debts (name, generation);
COMMENT ON TABLE projection_forget_debts IS
  'A forget at `position` applied to the projection `name` while its build `generation`, of another version, may have '
  'held rows from before it and a process held its lease. Owed while that build''s checkpoint is below it: the build '
  'is emptied (and these rows deleted) once no process holds its lease. Recorded in the forget''s own transaction';
REVOKE ALL ON projection_forget_debts FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON projection_forget_debts TO kamplan_app;
"""


def upgrade() -> None:
    run_script(FORGET_DEBTS)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
