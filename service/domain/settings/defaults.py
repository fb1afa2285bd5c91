"""Default settings from DOMAIN.md and the seeds, in force until an admin defines the company's own."""

from __future__ import annotations

from service.domain.settings.state import (
    AnswerType,
    CompanySettings,
    DossierTemplate,
    Question,
    QuestionGroup,
    RoleDefinition,
    TriggerKind,
)

T, N, M, D, C, L, P = (
    AnswerType.TEXT,
    AnswerType.NUMBER,
    AnswerType.MONEY,
    AnswerType.DATE,
    AnswerType.CHOICE,
    AnswerType.LIST,
    AnswerType.PERSON,
)

KEY_ACCOUNT_CEILING = 15  # "about 15" key clients per manager (seed 001)

HAND_OVER_TRIGGERS = (  # when the hunter hands a won client to the client manager (seed 002)
    TriggerKind(code="contract_signed", label="Contract signed", label_ru="Подписан договор"),
    TriggerKind(code="first_deal_fulfilled", label="First deal fulfilled", label_ru="Выполнена первая сделка"),
    TriggerKind(code="second_deal_fulfilled", label="Second deal fulfilled", label_ru="Выполнена вторая сделка"),
    TriggerKind(code="third_deal_fulfilled", label="Third deal fulfilled", label_ru="Выполнена третья сделка"),
    TriggerKind(
        code="recurring_volume",
        label="Recurring orders reached the amount",
        label_ru="Регулярные заказы достигли суммы",
    ),
    TriggerKind(
        code="purchase_share",
        label="Our share of the client's purchase budget reached the level",
        label_ru="Доля в закупочном бюджете клиента достигла уровня",
    ),
    TriggerKind(code="time", label="Agreed time has passed", label_ru="Прошёл оговорённый срок"),
)

ROLES = (  # DOMAIN.md section 3; "required" roles missing from a map are a coverage risk
    RoleDefinition(
        code="initiator",
        label="Initiator / direct customer",
        label_ru="Инициатор / прямой заказчик",
        description="Has the need and starts the purchase.",
        required=True,
    ),
    RoleDefinition(
        code="user",
        label="User",
        label_ru="Пользователь",
        description="Works with the product; talk benefit.",
        required=True,
    ),
    RoleDefinition(
        code="procurement",
        label="Procurement",
        label_ru="Закупки",
        description="Runs the purchase; talk price justification.",
        required=True,
    ),
    RoleDefinition(
        code="contracts",
        label="Contracts department",
        label_ru="Договорной отдел",
        description="Paperwork and contract terms.",
    ),
    RoleDefinition(
        code="signer", label="Signer", label_ru="Подписант", description="Signs; checks the fit with budget policy."
    ),
    RoleDefinition(
        code="decision_maker", label="Decision maker", label_ru="ЛПР", description="Takes the decision.", required=True
    ),
    RoleDefinition(
        code="influencer", label="Influencer", label_ru="ЛВР", description="Influences the decision without taking it."
    ),
    RoleDefinition(
        code="informal_heavyweight",
        label="Informal heavyweight",
        label_ru="Неформальный авторитет",
        description="Political weight beyond the org chart ('Vasily Petrovich').",
    ),
    RoleDefinition(
        code="ally",
        label="Ally",
        label_ru="Союзник",
        description="Opens doors; our product solves their problems best.",
        required=True,
    ),
    RoleDefinition(
        code="opponent", label="Opponent", label_ru="Противник", description="Served better by the competitor."
    ),
    RoleDefinition(
        code="gatekeeper", label="Gatekeeper", label_ru="Привратник", description="Controls access to the others."
    ),
    RoleDefinition(code="expert", label="Expert", label_ru="Эксперт", description="Technical judge of the offer."),
)


def _q(
    code: str, label: str, label_ru: str, kind: AnswerType, *choices: str, review: int = 180, personal: bool = False
) -> Question:
    return Question(
        code=code,
        label=label,
        label_ru=label_ru,
        answer_type=kind,
        choices=choices,
        review_days=review,
        personal=personal,
    )


DOSSIER_TEMPLATE = DossierTemplate(
    version=1,
    groups=(
        QuestionGroup(
            code="company",
            label="General company facts",
            label_ru="Общие сведения о компании",
            questions=(
                _q("legal_name", "Legal name", "Юридическое название", T, review=730),
                _q("ownership", "Owners and group structure", "Собственники и структура группы", T, review=365),
                _q("headcount", "Headcount", "Численность персонала", N, review=365),
                _q("revenue", "Annual revenue", "Годовой оборот", M, review=365),
                _q("sites", "Sites and plants", "Площадки и заводы", L, review=365),
            ),
        ),
        QuestionGroup(
            code="business",
            label="The client's own business",
            label_ru="Бизнес клиента",
            questions=(
                _q("customers", "Whom the client sells to", "Кому продаёт клиент", L),
                _q("client_competitors", "The client's competitors", "Конкуренты клиента", L),
                _q("regulation", "Regulation that affects the client", "Регулирование отрасли клиента", T, review=365),
                _q(
                    "plans",
                    "Plans: modernisation, new workshop, new products",
                    "Планы: модернизация, новый цех, новые продукты",
                    T,
                ),
            ),
        ),
        QuestionGroup(
            code="relationship",
            label="Relationship history",
            label_ru="История отношений",
            questions=(
                _q("first_contact", "First contact", "Первый контакт", D, review=3650),
                _q("key_events", "Key events of the relationship", "Ключевые события отношений", T),
                _q("claims", "Claims and conflicts", "Претензии и конфликты", T),
            ),
        ),
        QuestionGroup(
            code="purchases",
            label="Purchase history",
            label_ru="История закупок",
            questions=(
                _q("product_lines", "Product lines bought", "Закупаемые товарные группы", L),
                _q("annual_volume", "Annual purchase volume from us", "Годовой объём закупок у нас", M),
                _q(
                    "order_frequency",
                    "Order frequency",
                    "Частота заказов",
                    C,
                    "weekly",
                    "monthly",
                    "quarterly",
                    "yearly",
                    "irregular",
                ),
                _q("seasonality", "Seasonality", "Сезонность", T, review=365),
                _q("average_order", "Average order", "Средний заказ", M),
                _q("abc_class", "ABC class", "ABC-класс", C, "A", "B", "C"),
            ),
        ),
        QuestionGroup(
            code="decision",
            label="Decision group and decision makers",
            label_ru="ГПР и ЛПР",
            questions=(
                _q("decision_maker", "Decision maker", "ЛПР", P),
                _q("decision_process", "How decisions are taken", "Как принимаются решения", T),
                _q("tenders", "Tenders", "Тендерные процедуры", C, "always", "sometimes", "never"),
                _q("budget_cycle", "Budget cycle", "Бюджетный цикл", T, review=365),
            ),
        ),
        QuestionGroup(
            code="attitude",
            label="Attitude to us",
            label_ru="Отношение к нам",
            questions=(
                _q(
                    "attitude",
                    "Attitude to our company",
                    "Отношение к нашей компании",
                    C,
                    "ally",
                    "positive",
                    "neutral",
                    "negative",
                    "opponent",
                    review=90,
                ),
                _q("switching_barriers", "Switching barriers", "Барьеры переключения", T),
            ),
        ),
        QuestionGroup(
            code="competitors",
            label="Competitors and their share",
            label_ru="Конкуренты и их доля",
            questions=(
                _q("main_competitor", "Main competitor", "Основной конкурент", T, review=90),
                _q("approved_suppliers", "Approved suppliers per item", "Утверждённые поставщики по позициям", L),
                _q(
                    "our_share",
                    "Our share of the client's purchases, %",
                    "Наша доля в закупках клиента, %",
                    N,
                    review=90,
                ),
                _q(
                    "split_criteria",
                    "How the client splits volume between suppliers",
                    "По каким критериям клиент делит объём",
                    T,
                ),
            ),
        ),
        QuestionGroup(
            code="personal",
            label="Personal notes",
            label_ru="Личные сведения",
            questions=(
                _q(
                    "leaders_interests",
                    "Leaders' interests and hobbies",
                    "Увлечения руководителей",
                    T,
                    review=365,
                    personal=True,
                ),
                _q("important_dates", "Important dates", "Важные даты", T, review=365, personal=True),
            ),
        ),
    ),
)


def default_settings() -> CompanySettings:
    return CompanySettings(
        key_account_ceiling=KEY_ACCOUNT_CEILING,
        hand_over_triggers=HAND_OVER_TRIGGERS,
        roles=ROLES,
        templates=(DOSSIER_TEMPLATE,),
    )
