"""An index of the ERP's documents recorded in the log, by kind and number.

A document the ERP sends for another account moves there (service/domain/purchases/holding.py). Since then each
document's holder has a stream of its own; a document recorded before has none, so the first delivery of a
document looks up which histories recorded it. Without this index that lookup reads the whole log.

Built CONCURRENTLY, outside the migration's transaction, so appends go on while it builds. A build that failed
(interrupted, cancelled) leaves the index INVALID and the schema at 0015: the next run drops it and builds it again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25
"""

from alembic import op
from sqlalchemy import text

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
CREATE INDEX CONCURRENTLY events_purchase_documents ON events
  ((data->'document'->>'kind'), (btrim(data->'document'->>'number', {SPACES})))
  WHERE event_type = 'PurchaseDocumentRecorded';
""".replace("{SPACES}", SPACES)


VALID = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('events_purchase_documents')"


def upgrade() -> None:
    with op.get_context().autocommit_block():  # CONCURRENTLY cannot run in a transaction
        valid = op.get_bind().execute(text(VALID)).scalar()
        if valid:
            return  # built by a run that stopped before it recorded 0016
        if valid is not None:
            run_script("DROP INDEX CONCURRENTLY events_purchase_documents")
        run_script(INDEX)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
