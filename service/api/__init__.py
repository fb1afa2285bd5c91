"""The JSON API under `/v1` (FastAPI): routes turn requests into domain commands through `commanding`, and every
error leaves as an RFC 9457 problem (`problems`)."""

__all__: list[str] = []
