"""DDL for a projection's generation tables and the stable views BI tools and the API read."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from service.projections.model import Table

SCHEMA = "read"
BI_ROLE = "kamplan_bi"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def physical(table: Table, generation: int) -> str:
    return f"{SCHEMA}.{ident(f'{table.name}_g{generation}')}"


def view(table: Table) -> str:
    return f"{SCHEMA}.{ident(table.name)}"


def create_tables(table: Table, generation: int) -> str:
    name = physical(table, generation)
    columns = ",\n    ".join(f"{ident(c.name)} {c.type}" for c in table.columns)
    statements = [
        f"CREATE TABLE {name} (\n    {columns},\n    PRIMARY KEY ({', '.join(map(ident, table.primary_key))}))",
        f"COMMENT ON TABLE {name} IS {literal(f'Generation {generation} of {SCHEMA}.{table.name}: {table.comment}')}",
    ]
    statements += [f"COMMENT ON COLUMN {name}.{ident(c.name)} IS {literal(c.comment)}" for c in table.columns]
    # BI reads the view (publish), never a generation: whatever default privileges the creating user carries
    statements.append(f"REVOKE ALL ON {name} FROM {BI_ROLE}")
    return ";\n".join(statements) + ";"


def create_indexes(table: Table, generation: int) -> str:
    """Secondary indexes; a generation being built gets them only once it has caught up (bulk load)."""
    statements = [
        f"CREATE INDEX IF NOT EXISTS {ident('_'.join((f'{table.name}_g{generation}', *columns, 'idx')))} "
        f"ON {physical(table, generation)} ({', '.join(map(ident, columns))})"
        for columns in table.indexes
    ]
    return ";\n".join(statements) + ";" if statements else ""


def publish(table: Table, generation: int) -> str:
    """Point the stable view at a generation: one transaction, so readers see the old or the new, never neither."""
    name = view(table)
    columns = ", ".join(ident(c.name) for c in table.columns)
    statements = [
        f"DROP VIEW IF EXISTS {name}",
        f"CREATE VIEW {name} AS SELECT {columns} FROM {physical(table, generation)}",
        f"COMMENT ON VIEW {name} IS {literal(table.comment)}",
        *(f"COMMENT ON COLUMN {name}.{ident(c.name)} IS {literal(c.comment)}" for c in table.columns),
        f"GRANT SELECT ON {name} TO {BI_ROLE}",
    ]
    return ";\n".join(statements) + ";"


def drop_generation(tables: Iterable[str], generation: int, published: Collection[str] = ()) -> str:
    """Drop a retired generation's tables (by their view names). The views of those not in `published`, the
    live generation's tables, go first: they read the retired tables and nothing replaces them."""
    statements = [f"DROP VIEW IF EXISTS {SCHEMA}.{ident(name)}" for name in tables if name not in published]
    statements += [f"DROP TABLE IF EXISTS {SCHEMA}.{ident(f'{name}_g{generation}')}" for name in tables]
    return ";\n".join(statements) + ";"
