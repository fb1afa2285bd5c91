"""ERP delivery ids with a hash of their request, so that one id never carries two bodies.

The events a delivery writes are found by their ids, derived from its `webhook-id`; but a delivery that
changes nothing (a document sent again unchanged) writes no event, and two racing deliveries to two accounts
would each find none: every delivery's id is kept here first.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DELIVERIES = """
CREATE TABLE erp_deliveries (
    delivery_id  text        PRIMARY KEY,
    request_hash text        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE erp_deliveries IS
  'ERP webhook deliveries: the webhook-id and an HMAC of the request keyed with it (one id, one body).';
REVOKE ALL ON erp_deliveries FROM PUBLIC;
GRANT SELECT, INSERT ON erp_deliveries TO kamplan_app;
"""


def upgrade() -> None:
    run_script(DELIVERIES)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
