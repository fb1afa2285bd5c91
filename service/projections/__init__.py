"""The read side: projections fold the event log into the `read` schema's tables for the API and BI tools,
each in its own generation so that a changed projection is rebuilt beside the one in service
(`runner.ProjectionRunner`, `registry`)."""

__all__: list[str] = []
