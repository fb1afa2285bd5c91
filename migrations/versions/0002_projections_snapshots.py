"""Projection generations and checkpoints, aggregate snapshots, the subject → stream index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from service.db.migrate import run_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENERATIONS = """
CREATE TABLE projection_generations (
    name           text        NOT NULL,
    generation     integer     NOT NULL CHECK (generation > 0),
    version        integer     NOT NULL CHECK (version > 0),
    status         text        NOT NULL CHECK (status IN ('building', 'live', 'retired')),
    position       bigint      NOT NULL DEFAULT 0,
    events_applied bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    live_since     timestamptz,
    PRIMARY KEY (name, generation)
);
CREATE UNIQUE INDEX projection_generations_one_live ON projection_generations (name) WHERE status = 'live';
CREATE UNIQUE INDEX projection_generations_one_building ON projection_generations (name) WHERE status = 'building';
COMMENT ON TABLE projection_generations IS
  'Each build of a projection: its version, status and checkpoint (the position of the last event applied, '
  'stored in the same transaction as the writes). A rebuild builds a new generation beside the live one.';
REVOKE ALL ON projection_generations FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON projection_generations TO kamplan_app;

-- projections create and drop their generation tables and views at run time (zero-downtime rebuilds)
GRANT CREATE ON SCHEMA read TO kamplan_app;
"""

SNAPSHOTS = """
CREATE TABLE snapshots (
    stream_id      text        NOT NULL,
    snapshot_type  text        NOT NULL,
    stream_version bigint      NOT NULL,
    position       bigint      NOT NULL,
    recorded_at    timestamptz NOT NULL,
    state          jsonb       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_id, snapshot_type, stream_version)
);
COMMENT ON TABLE snapshots IS
  'Folded aggregate state at a stream version, to load long streams (and their past) fast. Disposable: '
  'deleting any of them only costs time. snapshot_type names the aggregate and its state shape version.';
REVOKE ALL ON snapshots FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON snapshots TO kamplan_app;

CREATE TABLE subject_streams (
    subject_id text NOT NULL,
    stream_id  text NOT NULL,
    PRIMARY KEY (subject_id, stream_id)
);
COMMENT ON TABLE subject_streams IS
  'Which streams hold sealed personal data of which subject: forgetting a subject purges those streams '
  'snapshots, which hold decrypted state.';
REVOKE ALL ON subject_streams FROM PUBLIC;
GRANT SELECT, INSERT ON subject_streams TO kamplan_app;
"""


def upgrade() -> None:
    run_script(GENERATIONS)
    run_script(SNAPSHOTS)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
