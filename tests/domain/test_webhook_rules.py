"""The rules of webhook subscriptions, on the pure decider."""

from datetime import UTC, datetime

import pytest

from service.domain.actors import Actor, Role
from service.domain.decider import fold
from service.domain.errors import Conflict, DomainError, NotAllowed, NotFound
from service.domain.webhooks import commands as cmd
from service.domain.webhooks.decide import decide
from service.domain.webhooks.evolve import evolve, initial_state
from service.domain.webhooks.state import SubscriptionStatus, Webhooks

ADMIN = Actor("root", Role.ADMIN)
DISPATCHER = Actor("kamplan:webhooks", Role.INTEGRATION)


def run(state: Webhooks, *commands: object) -> Webhooks:
    for command in commands:
        state = fold(evolve, decide(state, command), state)  # type: ignore[arg-type]
    return state


def created(types: tuple[str, ...] | None = ("AccountOpened",)) -> Webhooks:
    create = cmd.CreateSubscription(actor=ADMIN, subscription_id="s1", url="https://erp.example/", event_types=types,
                                    description="", secret="whsec_x", start_after=7)  # fmt: skip
    return run(initial_state(), create)


def test_only_an_admin_manages_subscriptions_but_the_dispatcher_may_disable_one() -> None:
    manager = Actor("kam", Role.MANAGER)
    with pytest.raises(NotAllowed):
        decide(created(), cmd.SetStatus(actor=manager, subscription_id="s1", status=SubscriptionStatus.PAUSED))
    with pytest.raises(NotAllowed):
        decide(created(), cmd.SetStatus(actor=DISPATCHER, subscription_id="s1", status=SubscriptionStatus.ACTIVE))
    with pytest.raises(NotAllowed):
        decide(created(), cmd.SetStatus(actor=manager, subscription_id="s1", status=SubscriptionStatus.DISABLED,
                                        reason="x"))  # fmt: skip
    state = run(created(), cmd.SetStatus(actor=DISPATCHER, subscription_id="s1", status=SubscriptionStatus.DISABLED,
                                         reason="30 failed attempts"))  # fmt: skip
    assert state.subscriptions["s1"].status is SubscriptionStatus.DISABLED
    assert state.subscriptions["s1"].disabled_reason == "30 failed attempts"


def test_a_subscription_paused_meanwhile_is_not_disabled_and_a_resume_clears_the_reason() -> None:
    paused = run(created(), cmd.SetStatus(actor=ADMIN, subscription_id="s1", status=SubscriptionStatus.PAUSED))
    disable = cmd.SetStatus(actor=DISPATCHER, subscription_id="s1", status=SubscriptionStatus.DISABLED, reason="x")
    assert decide(paused, disable) == []
    with pytest.raises(DomainError, match="says why"):
        decide(created(), cmd.SetStatus(actor=DISPATCHER, subscription_id="s1", status=SubscriptionStatus.DISABLED))
    resumed = run(
        created(), disable, cmd.SetStatus(actor=ADMIN, subscription_id="s1", status=SubscriptionStatus.ACTIVE)
    )
    assert resumed.subscriptions["s1"].status is SubscriptionStatus.ACTIVE
    assert resumed.subscriptions["s1"].disabled_reason == ""


def test_a_change_keeps_what_it_does_not_name_and_a_change_to_nothing_new_writes_nothing() -> None:
    state = run(created(), cmd.ChangeSubscription(actor=ADMIN, subscription_id="s1", description="ERP"))
    subscription = state.subscriptions["s1"]
    assert (subscription.url, subscription.event_types, subscription.description) == (
        "https://erp.example/", ("AccountOpened",), "ERP")  # fmt: skip
    assert decide(state, cmd.ChangeSubscription(actor=ADMIN, subscription_id="s1", description="ERP")) == []
    every = run(state, cmd.ChangeSubscription(actor=ADMIN, subscription_id="s1", all_events=True))
    assert every.subscriptions["s1"].event_types is None
    with pytest.raises(DomainError, match="at least one"):
        decide(state, cmd.ChangeSubscription(actor=ADMIN, subscription_id="s1", event_types=()))
    with pytest.raises(DomainError, match="twice"):
        decide(state, cmd.ChangeSubscription(actor=ADMIN, subscription_id="s1", event_types=("A", "A")))


def test_replays_are_counted_so_that_each_is_applied_once() -> None:
    state = run(created(), *(cmd.RequestReplay(actor=ADMIN, subscription_id="s1", after_position=p) for p in (3, 0)))
    assert state.subscriptions["s1"].replays == (3, 0)
    assert state.subscriptions["s1"].start_after == 7


def test_a_deleted_subscription_is_gone_and_a_living_ones_id_is_not_taken_twice() -> None:
    with pytest.raises(Conflict):
        decide(created(), cmd.CreateSubscription(actor=ADMIN, subscription_id="s1", url="https://x/", event_types=None,
                                                 description="", secret="whsec_x", start_after=0))  # fmt: skip
    gone = run(created(), cmd.DeleteSubscription(actor=ADMIN, subscription_id="s1"))
    assert gone.subscriptions == {}
    for command in (
        cmd.DeleteSubscription(actor=ADMIN, subscription_id="s1"),
        cmd.RequestReplay(actor=ADMIN, subscription_id="s1", after_position=0),
        cmd.ChangeSubscription(actor=ADMIN, subscription_id="s1", description="x"),
    ):
        with pytest.raises(NotFound):
            decide(gone, command)


def test_a_rotation_keeps_the_replaced_secret_beside_the_new_one_until_its_deadline() -> None:
    until = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    rotate = cmd.RotateSecret(actor=ADMIN, subscription_id="s1", secret="whsec_y", previous_valid_until=until)
    state = run(created(), rotate)
    subscription = state.subscriptions["s1"]
    assert (subscription.secret, subscription.previous_secret, subscription.previous_valid_until) == (
        "whsec_y",
        "whsec_x",
        until,
    )
    again = cmd.RotateSecret(actor=ADMIN, subscription_id="s1", secret="whsec_z", previous_valid_until=until)
    assert run(state, again).subscriptions["s1"].previous_secret == "whsec_y"  # only the last one replaced


def test_a_rotation_needs_an_admin_an_existing_subscription_and_a_secret_not_signing_already() -> None:
    until = datetime(2026, 11, 25, tzinfo=UTC)
    with pytest.raises(NotAllowed):
        decide(created(), cmd.RotateSecret(actor=DISPATCHER, subscription_id="s1", secret="whsec_y",
                                           previous_valid_until=until))  # fmt: skip
    with pytest.raises(NotFound):
        decide(created(), cmd.RotateSecret(actor=ADMIN, subscription_id="s2", secret="whsec_y",
                                           previous_valid_until=until))  # fmt: skip
    with pytest.raises(DomainError, match="signing now") as refused:
        decide(created(), cmd.RotateSecret(actor=ADMIN, subscription_id="s1", secret="whsec_x",
                                           previous_valid_until=until))  # fmt: skip
    assert refused.value.code == "same-secret"


def test_the_dispatcher_does_not_disable_for_the_failures_of_a_url_changed_since() -> None:
    moved = run(created(), cmd.ChangeSubscription(actor=ADMIN, subscription_id="s1", url="https://erp.example/new"))
    disable = cmd.SetStatus(actor=DISPATCHER, subscription_id="s1", status=SubscriptionStatus.DISABLED, reason="x",
                            url="https://erp.example/")  # fmt: skip
    assert decide(moved, disable) == []
    assert run(created(), disable).subscriptions["s1"].status is SubscriptionStatus.DISABLED


def test_the_same_event_types_in_another_order_are_no_change() -> None:
    state = created(("AccountOpened", "PlanStarted"))
    reordered = cmd.ChangeSubscription(actor=ADMIN, subscription_id="s1", event_types=("PlanStarted", "AccountOpened"))
    assert decide(state, reordered) == []
