"""Random sequences of place / pay / refund / cancel / ship / deliver / settle / payout, driven
by Hypothesis through the real services; after every step the books must hold:

- every transaction balances and all accounts together add up to zero;
- every account's balance is the sum of its entries, and the hash chain is intact;
- nothing that cannot go below zero does (pending money, fees, payouts in transit);
- each farm's pending + available + payout_pending + paid_out equals what its paid orders owed
  it (computed here from the orders themselves) less what refunds took back from it, and all
  that refunds took back from everyone is exactly what was refunded.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from books import services as books
from books.models import Payout
from ledger.models import Account, Entry, LedgerTransaction
from ledger.verify import verify
from marketplace.errors import DomainError
from orders.models import Order, OrderLine, Shipment
from promotion.models import Commission

from .conftest import Market

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")


def expected_owed(order: Order) -> dict[int, int]:
    """What each farm of a paid order is owed, in fen, from the order's own rows."""
    owed: dict[int, int] = defaultdict(int)
    for shipment in Shipment.objects.filter(order=order):
        owed[shipment.producer_id] += int((shipment.subtotal + shipment.shipping_fee) * 100)
    for line in OrderLine.objects.filter(order=order).select_related("shipment"):
        fee = (line.line_total * order.platform_fee_rate).quantize(CENT, ROUND_HALF_UP)
        owed[line.shipment.producer_id] -= int(fee * 100)
    for commission in Commission.objects.filter(order=order).exclude(status="cancelled"):
        owed[commission.shipment.producer_id] -= int(commission.amount * 100)
    return owed


class Books(RuleBasedStateMachine):
    def __init__(self, market_factory):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.market: Market = market_factory()
        self.orders: list[Order] = []
        self.owed: dict[int, int] = defaultdict(int)  # farm -> fen, from paid orders
        self.refunded = 0  # fen given back to buyers

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    # --- steps ------------------------------------------------------------------------------

    @rule(first=st.integers(0, 6), second=st.integers(0, 6), promo=st.booleans())
    def place(self, first, second, promo):
        quantities = {i: q for i, q in enumerate((first, second)) if q}
        if quantities:
            self.orders.append(self.market.place(quantities, promo=promo))

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

    @rule(data=st.data(), share=st.fractions(0, 1))
    def refund(self, data, share):
        if not self.orders:
            return
        order = data.draw(st.sampled_from(self.orders))
        left = books.refundable_fen(order_id=order.pk)
        amount = int(left * share)
        if amount <= 0:
            return
        self.market.refund(order, str(Decimal(amount) / 100))
        self.refunded += amount

    @rule(data=st.data())
    def cancel(self, data):
        if not self.orders:
            return
        order = data.draw(st.sampled_from(self.orders))
        left = books.refundable_fen(order_id=order.pk)
        try:
            self.market.cancel(order)
        except DomainError:
            return
        self.refunded += left

    @rule(data=st.data(), deliver=st.booleans())
    def ship(self, data, deliver):
        if not self.orders:
            return
        order = data.draw(st.sampled_from(self.orders))
        for shipment in Shipment.objects.filter(order=order).select_related("producer__user"):
            try:
                self.market.ship(shipment)
                if deliver:
                    self.market.deliver(shipment)
            except DomainError:
                pass

    @rule(days=st.sampled_from([3, 8]))
    def settle(self, days):
        self.market.settle(days=days)

    @rule(data=st.data(), share=st.fractions(0, 1), outcome=st.sampled_from(
        ["paid", "failed", "pending"]))
    def payout(self, data, share, outcome):
        farm = data.draw(st.sampled_from(self.market.farms))
        account = Account.objects.filter(kind="farm", holder_id=farm.pk,
                                         bucket="available").first()
        if account is None or account.balance_fen <= 0:
            return
        amount = max(1, int(account.balance_fen * share))
        payout = self.market.payout(farm, str(Decimal(amount) / 100))
        if outcome == "paid":
            books.payout_mark_paid(payout_id=payout.pk, reference=f"BANK-{payout.pk}")
        elif outcome == "failed":
            books.payout_mark_failed(payout_id=payout.pk, reason="退回")

    @rule(data=st.data(), paid=st.booleans())
    def finish_a_payout(self, data, paid):
        pending = list(Payout.objects.filter(status="pending").values_list("pk", flat=True))
        if not pending:
            return
        payout_id = data.draw(st.sampled_from(pending))
        if paid:
            books.payout_mark_paid(payout_id=payout_id, reference="BANK-LATER")
        else:
            books.payout_mark_failed(payout_id=payout_id)

    # --- what must hold after every step ------------------------------------------------------

    @invariant()
    def every_transaction_balances_and_the_ledger_verifies(self):
        unbalanced = (Entry.objects.values("transaction_id").annotate(total=Sum("amount_fen"))
                      .exclude(total=0))
        assert not unbalanced.exists()
        report = verify()
        assert report.ok, report.problems
        assert sum(Account.objects.values_list("balance_fen", flat=True)) == 0

    @invariant()
    def nothing_is_negative_where_it_cannot_be(self):
        negative = Account.objects.filter(balance_fen__lt=0).exclude(bucket="available").exclude(
            kind="provider_clearing")
        assert not negative.exists(), list(negative.values())

    @invariant()
    def each_farm_has_what_it_was_owed_less_what_was_taken_back(self):
        for farm in self.market.farms:
            balance = self.market.farm_balance(farm)
            held = sum(int(balance[k] * 100) for k in ("pending", "available", "paid_out",
                                                       "payout_pending"))
            taken = -(Entry.objects.filter(account__kind="farm", account__holder_id=farm.pk,
                                           kind="refund")
                      .aggregate(total=Sum("amount_fen"))["total"] or 0)
            assert held == self.owed[farm.pk] - taken
        taken_from_all = Entry.objects.filter(
            kind="refund", account__kind="provider_clearing").aggregate(
            total=Sum("amount_fen"))["total"] or 0
        assert taken_from_all == self.refunded
        assert (LedgerTransaction.objects.filter(kind="payment").count()
                == Order.objects.filter(pk__in=[o.pk for o in self.orders],
                                        paid_at__isnull=False).count())


def test_random_flows_keep_the_books(db):
    def machine():
        return Books(Market)

    run_state_machine_as_test(machine, settings=settings(
        max_examples=20, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    ))
