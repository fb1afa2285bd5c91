"""A projection generation records its tables, so the code that retires it drops them all.

A new version of a projection may do without a table of the old one. The code that switches to it knows only
its own tables, so the old generation's other table stayed, and so did its view in `read`, which BI tools went
on reading as if it were current. Generations made before this migration have none recorded (NULL): they are
taken to have the tables of the code that retires them, as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from service.db.migrate import run_script

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = """
ALTER TABLE projection_generations ADD COLUMN tables text[];
COMMENT ON COLUMN projection_generations.tables IS
    'The generation''s tables by their view names in read (a table is read.<name>_g<generation>); NULL before 0009';
"""


def upgrade() -> None:
    run_script(TABLES)


def downgrade() -> None:
    raise NotImplementedError("kamplan migrations only go forward")
