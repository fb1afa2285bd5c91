"""Which accounts coverage risks are computed for (risks.watched), and which the portfolio lists as at risk
(risks.at_risk): those being worked."""

from __future__ import annotations

from service.domain.account.state import Lifecycle
from service.domain.buying_center.risks import at_risk
from tests.domain.test_buying_center_rules import TODAY, member, risks_of


def test_coverage_risks_are_for_accounts_being_worked() -> None:
    """Found by review: a lost account, which nobody works, and a prospect nobody is mapped for yet showed risks,
    filling the portfolio's at_risk. Every other account shows them, an empty map's too."""
    opponent = member("buyer", roles=frozenset({"procurement"}), influence=4, attitude=-2)
    for stage in Lifecycle:
        worked = stage is not Lifecycle.LOST
        assert bool(risks_of(opponent, lifecycle=stage)) == worked, stage
        assert bool(risks_of(lifecycle=stage)) == (worked and stage is not Lifecycle.PROSPECT), stage
    gone = member("gone", last_contact=TODAY, active=False)  # a prospect whose only contact left: a map, at risk
    assert risks_of(gone, lifecycle=Lifecycle.PROSPECT)["single-threaded"] == ()


def test_the_portfolio_lists_only_accounts_being_worked_as_at_risk() -> None:
    """Found by review: a lost account's stale dossier answers or falling negotiation share listed it in the
    portfolio's at_risk, where nobody could act on it. Every other stage is listed for any signal."""
    for stage in Lifecycle:
        for signal in ({"coverage": True}, {"stale_answers": 2}, {"negotiations_falling": True}):
            found = {"coverage": False, "stale_answers": 0, "negotiations_falling": False, **signal}
            assert at_risk(stage, **found) == (stage is not Lifecycle.LOST), (stage, signal)
        assert not at_risk(stage, coverage=False, stale_answers=0, negotiations_falling=False), stage
