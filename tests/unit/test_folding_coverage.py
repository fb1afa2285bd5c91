"""A folding projection must be handed every event of its aggregate: StreamFolder folds a stream from the
batch's own events and would fold it short, and cache that short state, if the runner filtered some out."""

from __future__ import annotations

from service.commands.aggregates import EventTypes
from service.events.upcasting import Upcasters
from service.projections.folding import StreamFolder
from service.projections.registry import builtin


def test_every_folding_projection_handles_all_of_its_aggregates_event_types() -> None:
    folding = [p for p in builtin(Upcasters()) if isinstance(getattr(p, "folder", None), StreamFolder)]
    assert {p.name for p in folding} == {
        "accounts",
        "buying_centers",
        "dossiers",
        "opportunities",
        "interactions",
        "plans",
        "purchases",
    }
    for projection in folding:
        types = projection.folder.kind.decode.__self__  # the aggregate's EventTypes.decode, bound
        assert isinstance(types, EventTypes)
        assert projection.event_types is not None
        assert types.names() <= projection.event_types, projection.name
