"""The shape of an id a client chooses for something inside an aggregate (a plan item, a project's problem):
one shape everywhere, so that an id accepted in a body can always be named in a path afterwards."""

from typing import Any

ITEM_ID: dict[str, Any] = {"min_length": 1, "max_length": 100, "pattern": r"^[A-Za-z0-9._:-]+$"}
