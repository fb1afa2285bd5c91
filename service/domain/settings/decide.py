"""The rules for changing the company settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

from service.domain.actors import Actor, Role
from service.domain.buying_center.risks import DECISION_MAKER
from service.domain.buying_center.state import OPPONENT
from service.domain.errors import DomainError, NotAllowed, require
from service.domain.opportunity.criteria import ALLY, LEADER_ROLES, Stage, StageCriteria, check_known
from service.domain.settings.commands import (
    DefineBuyingCenterRoles,
    DefineHandOverTriggers,
    DefineStageCriteria,
    PublishDossierTemplate,
    SetCoverageRules,
    SetKeyAccountCeiling,
    SetPipelineRules,
    SettingsCommand,
)
from service.domain.settings.events import (
    BuyingCenterRolesDefined,
    CoverageRulesSet,
    DossierTemplatePublished,
    HandOverTriggersDefined,
    KeyAccountCeilingSet,
    PipelineRulesSet,
    SettingsEvent,
    StageCriteriaDefined,
)
from service.domain.settings.state import AnswerType, CompanySettings, DossierTemplate, Question, QuestionGroup


def _admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise NotAllowed("admin-only", "only an admin changes the company settings")


# The role codes the rules read by name: exit criteria (an ally, the leader who decides or signs), the coverage risks
# (contact with a decision maker) and opposition (the opponent role). A set without one left a rule silently dead:
# with no `ally` to give, no project could meet `ally_linked`.
READ_BY_RULES = frozenset({ALLY, DECISION_MAKER, OPPONENT, *LEADER_ROLES})


def _keeps_rule_roles(codes: Iterable[str]) -> None:
    missing = sorted(READ_BY_RULES - set(codes))
    require(not missing, "role-read-by-rules", f"the rules read the roles {', '.join(missing)}: keep them (their "
            "labels may change)", field="roles", missing=missing)  # fmt: skip


def _unique(codes: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        require(bool(code) and code == code.strip(), "invalid-code", f"{what} codes must be non-empty", value=code)
        require(code not in seen, "duplicate-code", f"{what} code {code!r} appears twice", value=code)
        seen.add(code)


def _check_template(groups: tuple[QuestionGroup, ...]) -> None:
    require(bool(groups), "empty-template", "a dossier template needs at least one group")
    _unique((g.code for g in groups), "group")
    _unique((q.code for g in groups for q in g.questions), "question")
    for group in groups:
        require(bool(group.questions), "empty-group", f"group {group.code!r} has no questions", group=group.code)
        for q in group.questions:
            require(q.review_days >= 1, "invalid-review-period", f"{q.code}: review period must be a day or more")
            _check_choices(q)


def _check_choices(q: Question) -> None:
    """Choices as answers are matched against them: each once, and as an answer is stored, trimmed."""
    for choice in q.choices:
        require(bool(choice) and choice == choice.strip(), "invalid-choice",
                f"{q.code}: a choice is a text without spaces around it", question=q.code, value=choice)  # fmt: skip
    if repeated := sorted({c for c in q.choices if q.choices.count(c) > 1}):
        raise DomainError("duplicate-choice", f"{q.code}: the choice {repeated[0]!r} appears twice",
                          question=q.code, value=repeated[0])  # fmt: skip
    if q.answer_type is AnswerType.CHOICE:
        require(len(q.choices) >= 2, "choices-required", f"{q.code}: a choice question needs 2+ choices",
                question=q.code)  # fmt: skip


def _redefined(question: Question, field: str, was: object, now: object, why: str) -> DomainError:
    return DomainError(
        "question-redefined",
        f"question {question.code} cannot change its {field}: {why}; publish the new meaning under a new code (the "
        "answers to a dropped question are kept)",
        question=question.code,
        field=field,
        was=was,
        now=now,
    )


def _check_kept_meaning(state: CompanySettings, groups: tuple[QuestionGroup, ...]) -> None:
    """A question code keeps what its answers were given as, in every template since (also one that dropped it and
    one that brings it back): its answer type, whether it is about a person (its answers are kept per person and
    forgotten with them), and every choice an answer may hold. Labels, review periods and new choices may change."""
    for new in (q for g in groups for q in g.questions):
        old = state.question(new.code)  # its newest definition, even in a template that dropped it since
        if old is None:
            continue
        if new.answer_type is not old.answer_type:
            why = f"its answers were given as {old.answer_type.value}"
            raise _redefined(new, "answer_type", old.answer_type.value, new.answer_type.value, why)
        if new.personal != old.personal:
            why = "its answers are kept per person" if old.personal else "its answers are about no one"
            raise _redefined(new, "personal", old.personal, new.personal, why)
        free_list = new.answer_type is AnswerType.LIST and not new.choices  # takes any text: no answer is orphaned
        if new.answer_type in (AnswerType.CHOICE, AnswerType.LIST) and not free_list:
            if not old.choices:
                raise _redefined(new, "choices", [], list(new.choices), "its answers are free texts")
            if dropped := [c for c in old.choices if c not in new.choices]:
                why = f"answers may hold {', '.join(dropped)}"
                raise _redefined(new, "choices", list(old.choices), list(new.choices), why)


def decide(state: CompanySettings, command: SettingsCommand) -> list[SettingsEvent]:
    _admin(command.actor)
    match command:
        case SetKeyAccountCeiling(ceiling=ceiling):
            require(1 <= ceiling <= 500, "invalid-ceiling", "the ceiling must be between 1 and 500", ceiling=ceiling)
            return [KeyAccountCeilingSet(ceiling=ceiling)]
        case DefineHandOverTriggers(triggers=triggers):
            require(bool(triggers), "empty-triggers", "define at least one hand-over trigger")
            _unique((t.code for t in triggers), "trigger")
            return [HandOverTriggersDefined(triggers=triggers)]
        case DefineBuyingCenterRoles(roles=roles):
            require(3 <= len(roles) <= 30, "invalid-role-set", "a role set has 3 to 30 roles", count=len(roles))
            _unique((r.code for r in roles), "role")
            _keeps_rule_roles(r.code for r in roles)
            return [BuyingCenterRolesDefined(roles=roles)]
        case PublishDossierTemplate(groups=groups):
            _check_template(groups)
            _check_kept_meaning(state, groups)
            return [
                DossierTemplatePublished(template=DossierTemplate(version=state.template.version + 1, groups=groups))
            ]
        case SetCoverageRules(rules=rules):
            require(rules.stale_contact_days >= 1, "invalid-coverage-rules", "stale contact days must be 1 or more")
            require(1 <= rules.high_influence <= 5, "invalid-coverage-rules", "high influence is between 1 and 5")
            return [CoverageRulesSet(rules=rules)]
        case DefineStageCriteria(exits=exits):
            check_known(exits)
            for stage, codes in exits.items():  # listed twice, a criterion unmet showed twice in every refusal
                twice = sorted({code for code in codes if codes.count(code) > 1})
                require(
                    not twice,
                    "duplicate-criterion",
                    f"{stage.value} lists {', '.join(twice)} more than once",
                    field=f"exits.{stage.value}",
                    duplicates=twice,
                )
            require(Stage.SERIAL_SUPPLY not in exits, "invalid-stage", "serial supply is the last stage: no exit")
            # a version is whole: a stage left out had no criteria in it, so a PUT meant to change one stage opened
            # every other one's gate to the projects opened after it
            missing = [stage.value for stage in Stage if stage is not Stage.SERIAL_SUPPLY and stage not in exits]
            require(not missing, "missing-value", f"list every stage's criteria ([] for none): {', '.join(missing)} "
                    "left out", field=f"exits.{missing[0]}" if missing else None, missing=missing)  # fmt: skip
            version = state.exit_criteria.version + 1
            return [StageCriteriaDefined(criteria=StageCriteria(version=version, exits=dict(exits)))]
        case SetPipelineRules():
            require(command.stalled_days >= 1, "out-of-range", "stalled days must be 1 or more", field="stalled_days")
            require(
                7 <= command.negotiation_window_days <= 730,
                "out-of-range",
                "the negotiation window is 7 to 730 days",
                field="negotiation_window_days",
            )
            return [
                PipelineRulesSet(
                    stalled_days=command.stalled_days, negotiation_window_days=command.negotiation_window_days
                )
            ]
        case _:
            assert_never(command)
