"""The checked-in OpenAPI document, rendered deterministically from the app."""

from __future__ import annotations

import json

from service.config import Settings
from service.main import create_app


def render(settings: Settings | None = None) -> str:
    app = create_app(settings or Settings())
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
