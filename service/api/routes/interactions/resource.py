"""An interaction as an API resource: the bodies that log and correct one, and the entry as it is read back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from service.api.bodies import RequestBody
from service.api.commanding import Written
from service.api.moments import Day
from service.api.routes.interactions.lessons import LearnedIn
from service.domain import codec
from service.domain.interaction import model as im
from service.domain.participants import OUR_PARTICIPANT_LIMIT

Id = Annotated[str, Field(max_length=200)]
OurParticipant = Annotated[str, Field(max_length=OUR_PARTICIPANT_LIMIT)]
DocumentReference = Annotated[str, Field(max_length=im.DOCUMENT_LIMIT)]


class DetailsIn(RequestBody):
    kind: im.InteractionKind
    occurred_on: Day = Field(description="When it happened (business time; may be in the past).")
    participants: list[Id] = Field(default_factory=list, max_length=100, description="Buying-center member ids.")
    our_participants: list[OurParticipant] = Field(
        default_factory=list,
        max_length=50,
        description="People on our side (trimmed; blank ones are dropped). Someone must have taken part: a member "
        "in `participants` or one of us here.",
    )
    summary: str = Field(min_length=1, max_length=10_000)
    outcome: str = Field("", max_length=5000)
    next_step: str = Field("", max_length=1000)
    next_step_due: Day | None = Field(
        None, description="When the next step is due: needed with a `next_step`, on `occurred_on` or later."
    )
    projects: list[Id] = Field(default_factory=list, max_length=20, description="Linked sales project ids.")
    documents: list[DocumentReference] = Field(
        default_factory=list, max_length=50, description="Document references (ids or URLs; trimmed, blank dropped)."
    )

    def domain(self) -> im.Details:
        return im.Details(
            kind=self.kind,
            occurred_on=self.occurred_on,
            participants=tuple(self.participants),
            our_participants=tuple(self.our_participants),
            summary=self.summary,
            outcome=self.outcome,
            next_step=self.next_step,
            next_step_due=self.next_step_due,
            projects=tuple(self.projects),
            documents=tuple(self.documents),
        )


EXAMPLE = {
    "kind": "meeting",
    "occurred_on": "2026-11-20",
    "participants": ["<member id>"],
    "our_participants": ["kam.ivanova"],
    "summary": "Reviewed the winter trial report with the engine-systems team",
    "outcome": "They want the filter for all 2027 engines",
    "next_step": "Send the cost calculation",
    "next_step_due": "2026-12-01",
    "projects": ["<opportunity id>"],
    "learned": {
        "assessments": [{"member_id": "<member id>", "attitude": 2, "note": "defended us in the council"}],
        "needs": [{"opportunity_id": "<opportunity id>", "member_id": "<member id>", "need": "No clogging at −40 °C"}],
    },
}


class LogIn(DetailsIn):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    learned: LearnedIn = Field(default_factory=LearnedIn)


class CorrectIn(DetailsIn):
    """A correction restates what happened; what was learnt is not taken back or added by it, so a `learned` is
    refused rather than dropped unseen, as is any field a request body does not have."""

    reason: str = Field(min_length=1, max_length=1000)


class InteractionOut(Written):
    interaction_id: str
    account_id: str
    details: dict[str, Any] | None
    retracted: bool
    retraction_reason: str
    logged_at: datetime | None
    corrections: list[dict[str, Any]] = Field(description="Earlier versions of the entry, with when and why replaced.")
    as_of: datetime | None = None


def interaction_out(state: im.Interaction, base: Written, as_of: datetime | None = None) -> InteractionOut:
    return InteractionOut(
        **base.model_dump(),
        interaction_id=state.interaction_id,
        account_id=state.account_id,
        details=codec.to_dict(state.details) if state.details else None,
        retracted=state.retracted,
        retraction_reason=state.retraction_reason,
        logged_at=state.logged_at,
        corrections=list(state.corrections),
        as_of=as_of,
    )
