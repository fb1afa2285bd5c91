"""docs/read-schema.md is generated from the database and must match it."""

from __future__ import annotations

from service.config import Settings
from service.operations import read_schema
from tests.conftest import TEST_SECRET


async def test_the_read_schema_document_matches_the_database(make_database, repo_root, tmp_path) -> None:
    url = await make_database()
    generated = await read_schema(Settings(data_dir=tmp_path, jwt_secret=TEST_SECRET), url)
    checked_in = (repo_root / "docs" / "read-schema.md").read_text()
    assert checked_in == generated, "docs/read-schema.md is stale: run `kamplan read-schema`"
    assert "## `read.audit_log`" in generated
    assert "| `actor` | `text` |" in generated
