"""Request bodies take JSON integers and booleans as they are: pydantic's lax mode would read `true` as the
integer 1 (a key-account ceiling of one), `"15"` as 15 and `"off"` as false, none of which the OpenAPI allows."""

from __future__ import annotations

import typing
from collections.abc import Iterator

from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.types import Strict
from starlette.routing import BaseRoute

from service.config import Settings
from service.main import create_app


def _routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:  # FastAPI's included routers
            yield from _routes(included.routes)


def _types(annotation: object, strict: bool = False) -> Iterator[tuple[object, bool]]:
    """Each type an annotation can take, with whether a Strict() marks it."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *marks = typing.get_args(annotation)
        yield from _types(base, strict or any(isinstance(m, Strict) and m.strict for m in marks))
    elif origin is None:
        yield annotation, strict
    else:
        for argument in typing.get_args(annotation):
            yield from _types(argument, strict)


def _lax_fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[str]:
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        marked = any(getattr(m, "strict", False) for m in field.metadata)
        for kind, strict in _types(field.annotation):
            if kind in (int, bool) and not (marked or strict):
                yield f"{model.__module__}.{model.__qualname__}.{name}"
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                yield from _lax_fields(kind, seen)


def test_every_integer_and_boolean_of_a_request_body_is_strict() -> None:
    app = create_app(Settings())
    seen: set[type[BaseModel]] = set()
    lax = [
        field
        for route in _routes(app.routes)
        for body in route.dependant.body_params
        for kind, _ in _types(body.field_info.annotation)
        if isinstance(kind, type) and issubclass(kind, BaseModel)
        for field in _lax_fields(kind, seen)
    ]
    assert len(seen) > 50  # the walk reached the bodies
    assert lax == [], "use StrictInt / StrictBool for these"
