"""BI reads the views of the read schema, never the generation tables behind them.

0001 gave kamplan_bi SELECT by default on every table the migrating user creates in `read`. When the service
runs as that user (KAMPLAN_DB_ROLE empty), it creates the generation tables itself, and BI could read them,
old generations included. The default goes, and the tables that got it lose it; `schema.create_tables` also
revokes BI's access on every new generation table, whoever creates it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BI_ONLY_VIEWS = """
ALTER DEFAULT PRIVILEGES IN SCHEMA read REVOKE SELECT ON TABLES FROM kamplan_bi;
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'read' LOOP
        EXECUTE format('REVOKE ALL ON read.%I FROM kamplan_bi', t.tablename);
    END LOOP;
END $$;
"""


def upgrade() -> None:
    run_script(BI_ONLY_VIEWS)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
