"""An index of the ERP's documents recorded in the log, by kind and number.

A document the ERP sends for another account moves there (service/domain/purchases/holding.py). Since then each
document's holder has a stream of its own; a document recorded before has none, so the first delivery of a
document looks up which histories recorded it. Without this index that lookup reads the whole log.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25
"""

from service.db.migrate import run_script

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEX = r"""
CREATE INDEX events_purchase_documents ON events
  ((data->'document'->>'kind'), (btrim(data->'document'->>'number', E' \t\n\r\f\x0b')))
  WHERE event_type = 'PurchaseDocumentRecorded';
"""


def upgrade() -> None:
    run_script(INDEX)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
