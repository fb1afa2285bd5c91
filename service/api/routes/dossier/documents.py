"""Documents attached to the dossier: references to a URL or to the company's document system."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import ConfigDict, Field

from service.api.bodies import RequestBody
from service.api.commanding import CommandDep, Written, company_settings, written
from service.api.routes.dossier.answers import members_and_left
from service.commands.aggregates import DOSSIER, dossier_stream
from service.domain.dossier import commands as cmd
from service.domain.dossier.decide import decide
from service.domain.dossier.state import DocumentKind

router = APIRouter(tags=["dossier"])


class DocumentIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"title": "Annual report 2025", "kind": "report", "url": "https://example.com/report-2025.pdf"}
            ]
        }
    )

    title: str = Field(min_length=1, max_length=500)
    kind: DocumentKind = DocumentKind.OTHER
    url: str = Field("", max_length=2000)
    document_ref: str = Field("", max_length=500, description="An id in the company's document system.")
    question_code: str | None = Field(None, description="The question the document informs, if any.")
    about: str | None = Field(
        None,
        description="For a question about a person (required there, refused elsewhere): the buying-center member. "
        "The title, url and document_ref are then that person's data, erased when they are forgotten.",
    )


class DocumentWritten(Written):
    document_id: str


@router.post(
    "/accounts/{account_id}/dossier/documents",
    operation_id="attachDocument",
    summary="Attach a document reference (URL or document id)",
    response_model=DocumentWritten,
    status_code=status.HTTP_201_CREATED,
)
async def attach_document(
    account_id: UUID, body: DocumentIn, response: Response, command: CommandDep
) -> DocumentWritten:
    settings = await company_settings(command.runtime)
    question = settings.template.question(body.question_code) if body.question_code is not None else None
    personal = question is not None and question.personal
    members, left = await members_and_left(command, str(account_id)) if personal else (frozenset(), frozenset())
    document_id = command.new_id("document")
    outcome = await command.run(
        DOSSIER,
        dossier_stream(str(account_id)),
        lambda s: decide(
            s,
            cmd.AttachDocument(
                actor=command.actor,
                account_id=str(account_id),
                document_id=document_id,
                title=body.title,
                kind=body.kind,
                url=body.url,
                document_ref=body.document_ref,
                question_code=body.question_code,
                # as an answer: a question of the template in force (`settings.question` finds dropped ones too)
                question_exists=body.question_code is None or question is not None,
                question_personal=personal,
                about=body.about,
                members=members,
                left=left,
            ),
        ),
        account_id=str(account_id),
    )
    return DocumentWritten(**written(response, outcome).model_dump(), document_id=document_id)


@router.delete(
    "/accounts/{account_id}/dossier/documents/{document_id}",
    operation_id="detachDocument",
    summary="Detach a document (it stays in as-of views)",
    response_model=Written,
)
async def detach_document(account_id: UUID, document_id: str, response: Response, command: CommandDep) -> Written:
    outcome = await command.run(
        DOSSIER,
        dossier_stream(str(account_id)),
        lambda s: decide(s, cmd.DetachDocument(actor=command.actor, document_id=document_id)),
        account_id=str(account_id),
    )
    return written(response, outcome)
