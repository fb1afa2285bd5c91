"""Alembic migrations; shipped in the wheel as `service.migrations`."""
