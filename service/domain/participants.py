"""Who took part in a meeting, as an interaction and a joint planning session record it: the client's people by their
buying-center member ids, whose names stay sealed in the map and go when the person is forgotten; ours by name."""

from __future__ import annotations

from service.domain.errors import NotFound, clean_text, require

OUR_PARTICIPANT_LIMIT = 200  # a person on our side: a subject, as an account's owner


def cleaned(values: tuple[str, ...], field: str, limit: int) -> tuple[str, ...]:
    """Each item trimmed and within its length; blank ones dropped, repeats kept once."""
    return tuple(dict.fromkeys(v for v in (clean_text(v, field, required=False, limit=limit) for v in values) if v))


def who_took_part(
    participants: tuple[str, ...], our_participants: tuple[str, ...], members: frozenset[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The members (each once) and our people (cleaned) who took part: someone did, and every member id is one of this
    buying center's. A name is no member id: stored, it would be sealed with nobody and outlive the person."""
    ours = cleaned(our_participants, "our_participants", OUR_PARTICIPANT_LIMIT)
    require(bool(participants or ours), "missing-value", "who took part?", field="participants")
    if strangers := sorted(set(participants) - members):
        raise NotFound(
            "member-not-in-buying-center",
            f"not in this buying center: {', '.join(strangers)} (`participants` are member ids; "
            "people on our side go in `our_participants`)",
            members=strangers,
        )
    return tuple(dict.fromkeys(participants)), ours
