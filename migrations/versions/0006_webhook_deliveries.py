"""Webhook delivery: each subscription's cursor in the log, and the log of every delivery attempt.

The subscriptions themselves are events (stream `webhooks-company`); these tables hold only what the
dispatcher needs to resume where it stopped and what it tried. Neither holds a payload or a secret.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DELIVERIES = """
CREATE TABLE webhook_cursors (
    subscription_id text        PRIMARY KEY,
    position        bigint      NOT NULL CHECK (position >= 0),
    replays_applied integer     NOT NULL DEFAULT 0,
    failures        integer     NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE webhook_cursors IS
  'Where each webhook subscription stands: every event at or below position was delivered (or is not of its '
  'types); failures = failed attempts in a row at the next one; replays_applied = replay requests taken.';
REVOKE ALL ON webhook_cursors FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON webhook_cursors TO kamplan_app;

CREATE TABLE webhook_attempts (
    attempt_id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id text        NOT NULL,
    event_id        uuid        NOT NULL,
    position        bigint      NOT NULL,
    event_type      text        NOT NULL,
    attempt         integer     NOT NULL CHECK (attempt > 0),
    attempted_at    timestamptz NOT NULL,
    duration_ms     integer     NOT NULL,
    status_code     integer,
    error           text,
    delivered       boolean     NOT NULL
);
CREATE INDEX webhook_attempts_by_subscription ON webhook_attempts (subscription_id, attempt_id DESC);
COMMENT ON TABLE webhook_attempts IS
  'One row per delivery attempt: the event, the answer (status_code) or the error, and how long it took.';
REVOKE ALL ON webhook_attempts FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON webhook_attempts TO kamplan_app;  -- DELETE: the dispatcher prunes old attempts
"""


def upgrade() -> None:
    run_script(DELIVERIES)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
