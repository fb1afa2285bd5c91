"""The company's settings as they stand: defaults from DOMAIN.md until an admin changes them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from service.domain.opportunity.criteria import DEFAULT_EXIT_CRITERIA, StageCriteria


class AnswerType(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"  # {"amount": "125000.00", "currency": "RUB"}
    DATE = "date"
    CHOICE = "choice"  # one of `choices`
    LIST = "list"  # several strings; of `choices` when there are any
    PERSON = "person"  # a member of the account's buying center


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    code: str
    label: str
    label_ru: str
    answer_type: AnswerType
    choices: tuple[str, ...] = ()
    review_days: int = 180  # an answer learnt longer ago than this is stale
    personal: bool = False  # about a person: the answer names the member and is forgettable with them


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionGroup:
    code: str
    label: str
    label_ru: str
    questions: tuple[Question, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DossierTemplate:
    version: int
    groups: tuple[QuestionGroup, ...]

    def question(self, code: str) -> Question | None:
        return next((q for g in self.groups for q in g.questions if q.code == code), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleDefinition:
    code: str
    label: str
    label_ru: str
    description: str = ""
    required: bool = False  # a map without a member in this role is a coverage risk


@dataclass(frozen=True, slots=True, kw_only=True)
class TriggerKind:
    code: str
    label: str
    label_ru: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageRules:
    stale_contact_days: int = 90  # a contact older than this is a risk
    high_influence: int = 4  # an opponent this influential or more is a risk


@dataclass(frozen=True, slots=True, kw_only=True)
class CompanySettings:
    key_account_ceiling: int
    hand_over_triggers: tuple[TriggerKind, ...]
    roles: tuple[RoleDefinition, ...]
    templates: tuple[DossierTemplate, ...]  # every version ever published; the last is in force
    # Roles a set dropped, as last defined: who holds one keeps it, nobody new is given it, till a set has it again
    retired_roles: tuple[RoleDefinition, ...] = ()
    coverage: CoverageRules = field(default_factory=CoverageRules)
    stage_criteria: tuple[StageCriteria, ...] = (StageCriteria(version=1, exits=DEFAULT_EXIT_CRITERIA),)
    stalled_days: int = 30  # an open project with no stage change and no interaction with the client for this long
    negotiation_window_days: int = 90  # the rolling window of the negotiation balance

    @property
    def exit_criteria(self) -> StageCriteria:
        """The exit criteria in force: new projects are pinned to this version."""
        return self.stage_criteria[-1]

    @property
    def template(self) -> DossierTemplate:
        return self.templates[-1]

    def template_version(self, version: int) -> DossierTemplate | None:
        return next((t for t in self.templates if t.version == version), None)

    def question(self, code: str) -> Question | None:
        """The newest definition of a question, even if later templates dropped it."""
        for template in reversed(self.templates):
            if found := template.question(code):
                return found
        return None

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.roles)

    @property
    def retired_role_codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.retired_roles)

    @property
    def trigger_codes(self) -> frozenset[str]:
        return frozenset(t.code for t in self.hand_over_triggers)
