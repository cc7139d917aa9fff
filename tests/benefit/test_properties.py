"""Random sequences of place / pay / refund / cancel / ship / deliver / settle / payout /
disburse with pledges (a fixed one, a percent one, a promoter's), through the real services
(Hypothesis, the books tests' state machine extended). After every step: the public ledger's
pledge + void + confirm (+ disbursement) entries add up to what the books say each project is
owed, pending and available, and to what was disbursed; every chain verifies; the farms are
owed what their orders owed them less their pledges and what refunds took back."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

from benefit import ledger, services
from benefit.models import Disbursement, LinePledge, PublicEntry
from benefit.verify import verify
from ledger.models import Account
from marketplace.errors import DomainError
from tests.benefit.conftest import World
from tests.books.test_invariants import Books, expected_owed

pytestmark = pytest.mark.django_db


def pledging_world() -> World:
    world = World()
    world.pledge(0, kind="fixed", value="0.50")
    world.pledge(1, kind="percent", value="7.5")
    world.promoter_pledge("30")
    return world


class Pledges(Books):
    @rule(data=st.data())
    def pay(self, data):
        if not self.orders:
            return
        order = data.draw(st.sampled_from(self.orders))
        try:
            self.market.pay(order)
        except DomainError:
            return
        for farm_id, fen in expected_owed(order).items():
            self.owed[farm_id] += fen
        for pledge in LinePledge.objects.filter(order=order, source="farm").select_related(
                "line__shipment"):
            self.owed[pledge.line.shipment.producer_id] -= int(pledge.amount * 100)

    @rule(share=st.fractions(0, 1))
    def disburse(self, share):
        available = Account.objects.filter(kind="benefit_project", bucket="available").first()
        if available is None or available.balance_fen <= 0:
            return
        amount = max(1, int(available.balance_fen * share))
        services.disbursement_create(project_id=available.holder_id,
                                     amount=Decimal(amount) / 100, paid_on=date(2026, 12, 1),
                                     receipt_number=f"R{Disbursement.objects.count() + 1}")

    @rule(extra=st.integers(1, 500))
    def disburse_too_much(self, extra):
        project = self.market.project
        available = Account.objects.filter(kind="benefit_project", holder_id=project.pk,
                                           bucket="available").first()
        balance = available.balance_fen if available else 0
        before = PublicEntry.objects.count()
        with pytest.raises(DomainError):
            services.disbursement_create(project_id=project.pk,
                                         amount=Decimal(balance + extra) / 100,
                                         paid_on=date(2026, 12, 1), receipt_number="TOO-MUCH")
        assert PublicEntry.objects.count() == before

    @invariant()
    def the_public_ledger_adds_up_to_the_books(self):
        project = self.market.project
        entries = list(PublicEntry.objects.filter(project=project).order_by("seq")
                       .values_list("kind", "amount_fen"))
        totals = ledger.totals_of(entries)
        balances = dict(Account.objects.filter(kind="benefit_project", holder_id=project.pk)
                        .values_list("bucket", "balance_fen"))
        disbursed = Disbursement.objects.filter(project=project).aggregate(
            total=Sum("amount"))["total"] or Decimal(0)
        assert totals["pledged"] == balances.get("pending", 0)
        assert totals["balance"] == balances.get("available", 0)
        assert totals["disbursed"] == int(disbursed * 100)
        assert totals["confirmed"] == totals["balance"] + totals["disbursed"]
        report = verify()
        assert report.ok, report.problems


def test_random_flows_keep_the_public_ledger_equal_to_the_books(db, benefit_settings):
    run_state_machine_as_test(lambda: Pledges(pledging_world), settings=settings(
        max_examples=15, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    ))
