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

# the whitespace str.strip() trims (the 29 characters str.isspace() holds), as the rules trim a number
SPACES = (
    r"E'\t\n\x0b\f\r\x1c\x1d\x1e\x1f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    r"\u2009\u200a\u2028\u2029\u202f\u205f\u3000'"
)
INDEX = r"""
CREATE INDEX events_purchase_documents ON events
  ((data->'document'->>'kind'), (btrim(data->'document'->>'number', {SPACES})))
  WHERE event_type = 'PurchaseDocumentRecorded';
""".replace("{SPACES}", SPACES)


def upgrade() -> None:
    run_script(INDEX)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
