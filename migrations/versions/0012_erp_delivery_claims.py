"""ERP deliveries are decided by one attempt at a time, and pruned.

A redelivery that came while its first attempt was still deciding decided too: with the document changed by
another delivery in between, it wrote the old content back over the new. The attempt that keeps a delivery's
id now holds it (`holder`, a token of its own) until `deciding_until`, keeps its answer whatever it decided, and
a redelivery waits for that answer; it takes the delivery over only once the holder gave it up (an error) or its
hold ran out (a crash). Every write of a holder names its token, so one that lost its hold changes nothing.
The table is pruned to `KAMPLAN_ERP_DELIVERIES_KEEP_DAYS`, hence the DELETE.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CLAIMS = """
ALTER TABLE erp_deliveries ADD COLUMN holder uuid, ADD COLUMN deciding_until timestamptz;
COMMENT ON COLUMN erp_deliveries.holder IS 'The token of the attempt that holds the delivery, or held it last';
COMMENT ON COLUMN erp_deliveries.deciding_until IS
  'Until when the attempt that holds the delivery may still be deciding it; NULL once answered or given up';
COMMENT ON COLUMN erp_deliveries.answer IS
  'The answer to the delivery (version, position, warnings), given again to its redeliveries';
GRANT UPDATE (answer, holder, deciding_until) ON erp_deliveries TO kamplan_app;
GRANT DELETE ON erp_deliveries TO kamplan_app;
CREATE INDEX erp_deliveries_received_at ON erp_deliveries (received_at);
"""


def upgrade() -> None:
    run_script(CLAIMS)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
