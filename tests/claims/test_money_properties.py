"""Hypothesis over claim amounts, staff's partial refunds and cancellations on a two-parcel
order: never more is given back than was paid (per parcel and in all), and the ledger and the
public-benefit ledger verify clean after every step."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from benefit import services as benefit_services
from benefit.verify import verify as benefit_verify
from checkout import services as checkout
from claims import services as claims
from claims.models import DAMAGE_LEVELS, Claim
from ledger.verify import verify as ledger_verify
from marketplace.errors import DomainError
from orders import services as orders
from orders.models import OrderLine, Shipment
from payments.models import Payment, Refund
from payments.services import refund_request
from tests.factories import make_address, make_listing, make_producer, make_project, make_user

pytestmark = pytest.mark.django_db

claim_op = st.tuples(
    st.just("claim"), st.sampled_from(["a", "b"]), st.integers(1, 3),
    st.sampled_from(DAMAGE_LEVELS),
    st.sampled_from(["accept", "propose", "decide", "decide_courier", "withdraw", "silence"]),
    st.sampled_from(DAMAGE_LEVELS), st.integers(0, 100))
refund_op = st.tuples(st.just("staff_refund"), st.sampled_from(["a", "b"]), st.integers(1, 100))


@pytest.fixture
def market(db, regions, settings):
    settings.PAYMENT_PROVIDERS = ["sandbox"]
    settings.PLATFORM_FEE_RATE = Decimal("0.05")
    settings.SHIPPING_FEE_FLAT = Decimal("8.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("9999.00")
    settings.CLAIM_ABUSE_COUNT_30D = 10_000
    settings.CLAIM_RATE_MIN_ORDERS = 10_000
    farm_a, farm_b = make_producer(), make_producer()
    project = make_project()
    apples = make_listing(producer=farm_a, price="12.35", stock=10_000, category="apples")
    benefit_services.listing_pledge_set(listing=apples, project_id=project.pk,
                                        kind="percent", value=Decimal("12.5"))
    pears = make_listing(producer=farm_b, price="7.77", stock=10_000, category="pears")
    staff = make_user(username="kefu", is_staff=True)
    return {"a": (farm_a, apples), "b": (farm_b, pears), "staff": staff}


def _order(market, buyer: User, *, cancel: bool):
    order = checkout.order_place(
        buyer=buyer, shipping_address=make_address(),
        lines=[{"listing_id": market["a"][1].pk, "quantity": 3},
               {"listing_id": market["b"][1].pk, "quantity": 3}])
    checkout.order_pay(order_id=order.pk, user=buyer, method="sandbox")
    if cancel:
        checkout.order_cancel(order_id=order.pk, user=buyer)
        return order
    for key in ("a", "b"):
        farm = market[key][0]
        shipment = Shipment.objects.get(order=order, producer=farm)
        orders.shipment_ship(shipment_id=shipment.pk, user=farm.user, carrier="顺丰",
                             tracking_number="SF1234567890123")
        orders.shipment_confirm(shipment_id=shipment.pk, user=buyer)
    return order


def _check(order) -> None:
    payment = Payment.objects.get(order=order, booked=True)
    given_back = (Refund.objects.filter(payment=payment).exclude(status="failed")
                  .aggregate(total=Sum("amount"))["total"] or Decimal("0"))
    assert given_back <= payment.amount
    for shipment in Shipment.objects.filter(order=order):
        parcel = (Refund.objects.filter(shipment=shipment).exclude(status="failed")
                  .aggregate(total=Sum("amount"))["total"] or Decimal("0"))
        assert parcel <= shipment.subtotal + shipment.shipping_fee
    for claim in Claim.objects.filter(order=order, refund__isnull=False):
        assert claim.refund.amount == claim.decided_amount
    ledger, benefit = ledger_verify(), benefit_verify()
    assert ledger.ok, ledger.problems
    assert benefit.ok, benefit.problems


def _run_claim(market, order, buyer, op) -> None:
    _, parcel, quantity, damage, resolution, other_damage, fraction = op
    shipment = Shipment.objects.get(order=order, producer=market[parcel][0])
    line = OrderLine.objects.get(shipment=shipment)
    claim = claims.claim_open(order_id=order.pk, user=buyer, shipment_id=shipment.pk,
                              kind="damaged", note="",
                              lines=[{"line_id": line.pk, "quantity": quantity,
                                      "damage_pct": damage}])
    farm_user = market[parcel][0].user
    if resolution == "accept":
        claims.claim_accept(claim_id=claim.pk, user=farm_user)
    elif resolution == "propose":
        claims.claim_propose(claim_id=claim.pk, user=farm_user,
                             lines=[{"line_id": line.pk, "damage_pct": other_damage}])
        claims.claim_accept_proposal(claim_id=claim.pk, user=buyer)
    elif resolution in ("decide", "decide_courier"):
        claims.claim_propose(claim_id=claim.pk, user=farm_user,
                             lines=[{"line_id": line.pk, "damage_pct": other_damage}])
        claims.claim_escalate(claim_id=claim.pk, user=buyer)
        amount = (shipment.subtotal + shipment.shipping_fee) * fraction / 100
        claims.claim_decide(claim_id=claim.pk, staff=market["staff"],
                            amount=amount.quantize(Decimal("0.01")),
                            courier_liable=resolution == "decide_courier")
    elif resolution == "withdraw":
        claims.claim_withdraw(claim_id=claim.pk, user=buyer)
    else:
        claim.refresh_from_db()
        claims.claims_due(now=claim.respond_by)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cancel=st.booleans(), ops=st.lists(st.one_of(claim_op, refund_op), min_size=1,
                                          max_size=6))
def test_never_more_than_paid_and_the_ledgers_verify(market, cancel, ops):
    savepoint = transaction.savepoint()
    try:
        buyer = make_user()
        order = _order(market, buyer, cancel=cancel)
        _check(order)
        for i, op in enumerate(ops):
            try:
                with transaction.atomic():
                    if op[0] == "claim":
                        _run_claim(market, order, buyer, op)
                    else:
                        _, parcel, fraction = op
                        shipment = Shipment.objects.get(order=order,
                                                        producer=market[parcel][0])
                        amount = ((shipment.subtotal + shipment.shipping_fee) * fraction / 100
                                  ).quantize(Decimal("0.01"))
                        refund_request(order=order, amount=max(amount, Decimal("0.01")),
                                       reason="客服退款", key=f"staff:{order.pk}:{i}",
                                       shipment_id=shipment.pk)
            except DomainError:
                pass  # refused (window, state, nothing left): nothing may have changed
            _check(order)
    finally:
        transaction.savepoint_rollback(savepoint)
