"""docs/read-schema.md, generated from the database's own catalog: the views of `read` and their comments."""

from __future__ import annotations

import asyncpg

CATALOG = """
SELECT c.relname AS view, obj_description(c.oid, 'pg_class') AS view_comment,
       a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
       col_description(c.oid, a.attnum) AS comment
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'read' AND c.relkind = 'v'
ORDER BY c.relname, a.attnum
"""

HEADER = """\
# The `read` schema: kamplan's contract for BI tools

Generated from the database by `kamplan read-schema`; do not edit by hand (a test compares it with the
database). Every object below is a view in the schema `read`, with a comment on the view and on each
column (`\\d+ read.<view>` in psql shows them too).

- Connect with a login role granted `kamplan_bi` (`CREATE ROLE analyst LOGIN IN ROLE kamplan_bi`). It
  may `SELECT` these views and nothing else: not the event log, not the tables behind the views, no
  writes anywhere.
- The views are stable names. Behind them each projection has generation tables (`read.<view>_g<n>`);
  a rebuild fills a new generation beside the live one and switches the view in one transaction, so a
  query sees one complete generation, never a mix. Do not query the `_g<n>` tables. The switch waits for the
  queries (and open transactions) that read the view to end, so keep transactions short: one left open postpones it.
- Views lag the event log by the projection's lag (`/readyz` and `kamplan_projection_lag_seconds`).
- Names and meanings of existing columns do not change; new columns may be added at the end.
- The views hold facts as recorded; some judgements the API makes read two views. An answer in
  `read.dossier_answers` about, or naming, a member who has left the client (`read.buying_center_members.active`
  false) counts in the API's dossier as a gap, not as known: join the members to count completeness as it does.
"""


async def render(conn: asyncpg.Connection) -> str:
    out = [HEADER]
    current = None
    for row in await conn.fetch(CATALOG):
        if row["view"] != current:
            current = row["view"]
            out.append(f"\n## `read.{current}`\n\n{row['view_comment'] or ''}\n")
            out.append("| column | type | meaning |\n|---|---|---|")
        out.append(f"| `{row['column']}` | `{row['type']}` | {(row['comment'] or '').replace('|', '/')} |")
    return "\n".join(out) + "\n"
