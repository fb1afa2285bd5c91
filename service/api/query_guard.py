"""`refuse_unknown_query`: a query parameter the route does not have is a 422 naming it, not silently ignored.

Ignored, a misspelt parameter changes the answer without a word: `GET …/dossier?asof=2025-01-01` answered the
dossier as it is now to a reader asking how it stood then, and `?min_postion=` answered without waiting for the
write it meant to see. Bodies refuse unknown fields for the same reason (`bodies.RequestBody`). The ERP's routes stay
lenient, as their bodies do: an ERP's delivery must not stop on what it adds.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from service.api.problems import validation_problem

__all__ = ["UNKNOWN_PARAMETER", "query_names", "refuse_unknown_query"]

UNKNOWN_PARAMETER = "is not a parameter of this request"


def query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route takes: its own and those of its dependencies (paging, waiting for a position)."""
    names = {field.alias for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= query_names(dependency)
    return frozenset(names)


async def refuse_unknown_query(request: Request) -> None:
    """A dependency of every /v1 route but the ERP's: one 422 `validation` error per unknown name, in the order sent."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = query_names(route.dependant)  # a walk of a dozen nodes, only for a request that has a query
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in known]
    if unknown:
        raise validation_problem(
            [{"loc": ("query", name), "msg": UNKNOWN_PARAMETER, "type": "extra_forbidden"} for name in unknown]
        )
