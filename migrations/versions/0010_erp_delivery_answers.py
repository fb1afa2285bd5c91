"""The answer to an ERP delivery that changed nothing, kept with its id.

A delivery that wrote events is answered again from the log, where its events are found by ids derived from its
`webhook-id`. One that changed nothing left nothing there, so its redelivery was decided again, against the
history as it stands then: with the document changed in between, the redelivery wrote the old content back as a
new revision. Its answer is now kept, and a redelivery gets it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ANSWERS = """
ALTER TABLE erp_deliveries ADD COLUMN answer jsonb;
COMMENT ON COLUMN erp_deliveries.answer IS
  'The answer to a delivery that changed nothing (version, position, warnings), given again to its redeliveries';
GRANT UPDATE (answer) ON erp_deliveries TO kamplan_app;
"""


def upgrade() -> None:
    run_script(ANSWERS)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
