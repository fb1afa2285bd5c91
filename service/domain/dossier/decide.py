"""The rules of a dossier."""

from __future__ import annotations

import re
from functools import partial
from typing import assert_never
from urllib.parse import urlsplit

from service.domain.dossier.answers import normalise
from service.domain.dossier.commands import AttachDocument, DetachDocument, DossierCommand, RecordAnswer, RetractAnswer
from service.domain.dossier.events import (
    AnswerRecorded,
    AnswerRetracted,
    DocumentAttached,
    DocumentDetached,
    DossierEvent,
)
from service.domain.dossier.state import Dossier, slot_key
from service.domain.errors import Conflict, NotFound, clean_text, require
from service.domain.settings.state import AnswerType, Question

# Free text with this aggregate's defaults (a call may override them).
_text = partial(clean_text, required=False, limit=500)


# A host as urlsplit gives it: a name of letters (any script), digits, hyphens and dots, or an IP address (IPv6 with
# colons, and a zone's "%"). urlsplit takes anything between "//" and the path, a space or "<" too.
_HOST = re.compile(r"[\w.:%-]+")


def _is_http_url(url: str) -> bool:
    """An http(s) URL with a host and, if any, a port of 0 to 65535. urlsplit raises ValueError on some URLs
    ("http://[::1": an unclosed IPv6 bracket; "http://[x]": not an address; a host that NFKC turns into "/"
    or "@"), and so does reading a port that is not one ("http://h:abc")."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host and _HOST.fullmatch(host))


def _require_fitting_about(question: Question, about: str | None) -> None:
    """`about` names the member a question about a person is about, and is not given for any other question."""
    if question.personal:
        require(about is not None, "about-required", f"{question.code} is about a person: name them", field="about")
    else:
        require(about is None, "about-not-allowed", f"{question.code} is not about a person", field="about")


def _require_at_the_client(member: str | None, left: frozenset[str], field: str) -> None:
    """A new answer is about, or names, only someone still at the client: one about a person who has left would
    read at once as a gap (the view's `left_the_client`), and a project fact naming them is refused alike. Answers
    recorded before they left stay, as history."""
    if member is not None and member in left:
        raise Conflict("member-has-left", f"member {member} has left the client", member=member, field=field)


def _require_document_about(command: AttachDocument) -> None:
    """A document on a question about a person names them, as an answer does: its title and link are theirs and are
    sealed with them. Any other document is about the client and names no one."""
    if not command.question_personal:
        require(
            command.about is None,
            "about-not-allowed",
            f"a document on {command.question_code or 'no question'} is about the client, not a person",
            field="about",
        )
        return
    require(
        command.about is not None,
        "about-required",
        f"{command.question_code} is about a person: name them, so that the document is forgotten with them",
        field="about",
    )
    if command.about not in command.members:
        raise NotFound(
            "member-not-in-buying-center",
            f"no member {command.about} in this buying center",
            member=command.about,
            field="about",
        )
    _require_at_the_client(command.about, command.left, "about")


def decide(state: Dossier, command: DossierCommand) -> list[DossierEvent]:
    match command:
        case RecordAnswer(question=question):
            if question is None:
                raise NotFound("unknown-question", f"no question {command.question_code} in the dossier template")
            _require_fitting_about(question, command.about)
            if question.personal and command.about not in command.members:
                raise NotFound("member-not-in-buying-center", f"no member {command.about} in this buying center")
            require(
                command.learned_on <= command.today, "date-in-future", "learned_on is in the future", field="learned_on"
            )
            _require_at_the_client(command.about, command.left, "about")
            value = normalise(question, command.value, command.members)
            if question.answer_type is AnswerType.PERSON:
                _require_at_the_client(value, command.left, "value")
            return [
                AnswerRecorded(
                    account_id=command.account_id,
                    question_code=question.code,
                    about=command.about,
                    value=value,
                    source=_text(command.source, "source"),
                    learned_on=command.learned_on,
                    confidence=command.confidence,
                    template_version=command.template_version,
                    by=command.actor.sub,
                )
            ]
        case RetractAnswer():
            if command.question is not None:  # as when recording: a person's answer is found by whom it is about
                _require_fitting_about(command.question, command.about)
            slot = state.answers.get(slot_key(command.question_code, command.about))
            if slot is None or slot.current is None:
                raise NotFound("answer-not-found", f"no answer in force to question {command.question_code}")
            return [
                AnswerRetracted(
                    question_code=command.question_code,
                    about=command.about,
                    reason=_text(command.reason, "reason", required=True, limit=1000),
                    by=command.actor.sub,
                )
            ]
        case AttachDocument():
            if command.document_id in state.docs:
                raise Conflict("document-exists", "a document with this id is attached already")
            url = _text(command.url, "url", limit=2000)
            ref = _text(command.document_ref, "document_ref")
            require(
                bool(url or ref),
                "document-reference-required",
                "give the document's url or its document id",
                field="url",
            )
            if url:
                require(_is_http_url(url), "invalid-url", "url is not an http(s) URL with a host", field="url")
            if command.question_code is not None:
                require(
                    command.question_exists,
                    "unknown-question",
                    f"no question {command.question_code}",
                    field="question_code",
                )
            _require_document_about(command)
            return [
                DocumentAttached(
                    account_id=command.account_id,
                    document_id=command.document_id,
                    title=_text(command.title, "title", required=True),
                    kind=command.kind,
                    url=url,
                    document_ref=ref,
                    question_code=command.question_code,
                    about=command.about,
                )
            ]
        case DetachDocument():
            if command.document_id not in state.docs:
                raise NotFound("document-not-found", "no such document in this dossier")
            return [DocumentDetached(document_id=command.document_id, reason=_text(command.reason, "reason"))]
        case _:
            assert_never(command)
