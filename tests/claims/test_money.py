"""The money of a claim: refunded through the provider that took it, keyed by the claim; the
books take it back from that parcel's holders (farm, fee, commission, pledge) in proportion, or
from the platform when the courier was liable; the parcel's money is held while a claim goes
on; a claim after the release leaves the farm owing it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from benefit.verify import verify as benefit_verify
from checkout.services import delivered_money_release
from claims.models import Claim
from ledger.models import Account, Entry, LedgerTransaction
from ledger.verify import verify as ledger_verify
from orders.models import Shipment
from payments.models import Refund
from tests.claims.conftest import photo, ship, upload
from tests.concurrency import run_concurrently
from tests.factories import (
    client_for,
    make_address,
    make_link,
    make_listing,
    make_producer,
    make_project,
    make_promoter,
    make_video,
    promo_visit,
)

pytestmark = pytest.mark.django_db


def _fen(kind: str, holder_id: int = 0, bucket: str | None = None, shipment_id=None) -> int:
    entries = Entry.objects.filter(account__kind=kind)
    if holder_id:
        entries = entries.filter(account__holder_id=holder_id)
    if bucket is not None:
        entries = entries.filter(account__bucket=bucket)
    if shipment_id is not None:
        entries = entries.filter(shipment_id=shipment_id)
    return entries.aggregate(total=Sum("amount_fen"))["total"] or 0


def _clean() -> None:
    ledger, benefit = ledger_verify(), benefit_verify()
    assert ledger.ok, ledger.problems
    assert benefit.ok, benefit.problems


@pytest.fixture
def shared_order(buyer, buyer_api, farm, settings):
    """One order from two farms: farm A's apples (10% commission to a promoter, 10% pledged to
    a village project, 5% platform fee) and farm B's pears, both delivered."""
    settings.PLATFORM_FEE_RATE = Decimal("0.05")
    project = make_project()
    response = farm["api"].put(f"/listings/{farm['apples'].pk}/benefit",
                               {"project_id": project.pk, "kind": "percent", "value": "10"})
    assert response.status_code == 200, response.json()
    farm["apples"].commission_rate = Decimal("0.10")
    farm["apples"].save(update_fields=["commission_rate"])
    promoter = make_promoter()
    link = make_link(video=make_video(owner=promoter.user), listing=farm["apples"])
    farm_b = make_producer(name="张家梨园")
    pears = make_listing(producer=farm_b, price="20.00", stock=20, title="砀山酥梨",
                         category="pears")
    api_b = client_for(farm_b.user)
    order = buyer_api.post("/orders", {
        "lines": [{"listing_id": farm["apples"].pk, "quantity": 4},
                  {"listing_id": pears.pk, "quantity": 2}],
        "shipping_address": make_address(), "promo_code": link.code,
        "promo_visit": promo_visit(link.code)}).json()
    assert buyer_api.post(f"/orders/{order['id']}/pay",
                          {"method": "sandbox"}).status_code == 200
    parcels = {s["producer_id"]: s["id"] for s in order["shipments"]}
    for producer, api in ((farm["producer"], farm["api"]), (farm_b, api_b)):
        ship({"api": api}, parcels[producer.pk])
        assert buyer_api.post(f"/shipments/{parcels[producer.pk]}/confirm").status_code == 200
    lines = {line["listing_id"]: line["id"] for line in order["lines"]}
    return {"order_id": order["id"], "a": parcels[farm["producer"].pk],
            "b": parcels[farm_b.pk], "apples_line": lines[farm["apples"].pk],
            "farm_b": farm_b, "project": project, "promoter": promoter}


def _claim(buyer_api, order_id, shipment_id, line_id, quantity=4, damage=100):
    response = buyer_api.post(f"/orders/{order_id}/claims", {
        "shipment_id": shipment_id, "kind": "damaged",
        "lines": [{"line_id": line_id, "quantity": quantity, "damage_pct": damage}]})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_an_accepted_claim_takes_back_from_that_parcels_holders_in_proportion(
        buyer_api, farm, shared_order):
    a = shared_order["a"]
    farm_a, farm_b = farm["producer"].pk, shared_order["farm_b"].pk
    before = {"a": _fen("farm", farm_a, shipment_id=a), "b": _fen("farm", farm_b),
              "fee": _fen("platform_fees", shipment_id=a),
              "commission": _fen("promoter", shared_order["promoter"].pk),
              "pledge": _fen("benefit_project", shared_order["project"].pk)}
    claim_id = _claim(buyer_api, shared_order["order_id"], a, shared_order["apples_line"])

    accepted = farm["api"].post(f"/claims/{claim_id}/accept").json()

    # all of the apples parcel: goods 50.00 + its shipping 10.00
    assert accepted["status"] == "refunded" and accepted["refund"]["amount"] == "60.00"
    after = {"a": _fen("farm", farm_a, shipment_id=a), "b": _fen("farm", farm_b),
             "fee": _fen("platform_fees", shipment_id=a),
             "commission": _fen("promoter", shared_order["promoter"].pk),
             "pledge": _fen("benefit_project", shared_order["project"].pk)}
    assert after["b"] == before["b"]  # the other farm's parcel is not touched
    assert after["fee"] == after["commission"] == after["pledge"] == 0
    assert after["a"] == 0
    taken = sum(before[k] - after[k] for k in ("a", "fee", "commission", "pledge"))
    assert taken == 6000
    _clean()


def test_a_courier_liable_decision_is_the_platforms_expense(buyer_api, farm, shared_order):
    from accounts.models import User
    from claims import services

    a = shared_order["a"]
    claim_id = _claim(buyer_api, shared_order["order_id"], a, shared_order["apples_line"],
                      quantity=2, damage=50)
    upload(farm["api"], f"/shipments/{a}/evidence", photo())
    farm["api"].post(f"/claims/{claim_id}/reject", {"note": "发货时完好"})
    buyer_api.post(f"/claims/{claim_id}/escalate", {"note": ""})
    farm_before = _fen("farm", farm["producer"].pk)
    staff = User.objects.create_user(username="kefu", password="x", is_staff=True)

    services.claim_decide(claim_id=claim_id, staff=staff, amount=Decimal("12.00"),
                          courier_liable=True)

    assert Claim.objects.get(pk=claim_id).status == "refunded"
    assert _fen("farm", farm["producer"].pk) == farm_before  # the farm is not charged
    assert _fen("claims_expense") == -1200
    assert Account.objects.get(kind="claims_expense").balance_fen == -1200
    _clean()


def test_a_parcels_money_waits_while_a_claim_goes_on(buyer_api, farm, shared_order):
    a = shared_order["a"]
    claim_id = _claim(buyer_api, shared_order["order_id"], a, shared_order["apples_line"],
                      quantity=1, damage=30)
    later = timezone.now() + timedelta(days=8)

    delivered_money_release(now=later)

    # farm B's parcel is released, farm A's money, commission and pledge stay pending
    assert _fen("farm", shared_order["farm_b"].pk, bucket="pending") == 0
    assert _fen("farm", farm["producer"].pk, bucket="available") == 0
    assert _fen("promoter", shared_order["promoter"].pk, bucket="available") == 0
    assert _fen("benefit_project", shared_order["project"].pk, bucket="available") == 0
    assert Claim.objects.get(pk=claim_id).active
    buyer_api.post(f"/claims/{claim_id}/withdraw")

    delivered_money_release(now=later)

    assert _fen("farm", farm["producer"].pk, bucket="pending") == 0
    assert _fen("farm", farm["producer"].pk, bucket="available") > 0
    assert _fen("benefit_project", shared_order["project"].pk, bucket="available") > 0
    assert _fen("promoter", shared_order["promoter"].pk, bucket="available") > 0
    _clean()


def test_a_claim_after_the_payout_leaves_the_farm_owing(buyer_api, farm, shared_order):
    from books import services as books

    a = shared_order["a"]
    delivered_money_release(now=timezone.now() + timedelta(days=8))
    available = Account.objects.get(kind="farm", holder_id=farm["producer"].pk,
                                    bucket="available")
    books.payout_create(account_id=available.pk, amount=Decimal(available.balance_fen) / 100,
                        staff=None)
    claim_id = _claim(buyer_api, shared_order["order_id"], a, shared_order["apples_line"],
                      quantity=2, damage=50)

    farm["api"].post(f"/claims/{claim_id}/accept")

    available.refresh_from_db()
    assert available.balance_fen < 0  # the farm owes it back
    _clean()


def test_a_claim_never_asks_more_than_is_left_of_the_parcel(buyer_api, farm, shared_order):
    from payments.services import refund_request

    a = shared_order["a"]
    order = Shipment.objects.get(pk=a).order
    # staff already gave back most of the apples parcel
    refund_request(order=order, amount=Decimal("55.00"), reason="客服退款", key="staff:1",
                   shipment_id=a)

    claim_id = _claim(buyer_api, shared_order["order_id"], a, shared_order["apples_line"])

    assert Claim.objects.get(pk=claim_id).amount == Decimal("5.00")
    farm["api"].post(f"/claims/{claim_id}/accept")
    assert Claim.objects.get(pk=claim_id).status == "refunded"
    assert _fen("farm", farm["producer"].pk, shipment_id=a) == 0
    _clean()


def _courier_liable(buyer_api, farm, shared_order, amount: str) -> None:
    """A claim on the apples parcel that staff decide for `amount`, the courier liable (the
    platform pays it, the parcel's holders keep their money)."""
    from accounts.models import User
    from claims import services

    claim_id = _claim(buyer_api, shared_order["order_id"], shared_order["a"],
                      shared_order["apples_line"], quantity=1, damage=30)
    response = farm["api"].post(f"/claims/{claim_id}/propose", {
        "lines": [{"line_id": shared_order["apples_line"], "damage_pct": 10}], "note": ""})
    assert response.status_code == 200, response.json()
    assert buyer_api.post(f"/claims/{claim_id}/escalate", {"note": ""}).status_code == 200
    staff = User.objects.create_user(username="kefu", password="x", is_staff=True)
    services.claim_decide(claim_id=claim_id, staff=staff, amount=Decimal(amount),
                          courier_liable=True)
    assert Claim.objects.get(pk=claim_id).status == "refunded"


def _given_back(shipment_id: int) -> Decimal:
    return (Refund.objects.filter(shipment_id=shipment_id).exclude(status="failed")
            .aggregate(total=Sum("amount"))["total"] or Decimal("0"))


def test_a_claim_counts_what_staff_and_the_platform_gave_back_of_the_parcel(
        buyer_api, farm, shared_order):
    """What staff gave back of the parcel is taken from its holders, what the platform paid
    for the courier is not: a claim after both gets only the rest."""
    from payments.services import refund_request

    a = shared_order["a"]  # apples 4 x 12.50 + shipping 10.00 = 60.00
    refund_request(order=Shipment.objects.get(pk=a).order, amount=Decimal("5.00"),
                   reason="客服退款", key="staff:1", shipment_id=a)
    _courier_liable(buyer_api, farm, shared_order, "12.00")

    claim_id = _claim(buyer_api, shared_order["order_id"], a, shared_order["apples_line"])

    assert Claim.objects.get(pk=claim_id).amount == Decimal("43.00")  # 60 - 5 - 12
    assert farm["api"].post(f"/claims/{claim_id}/accept").json()["status"] == "refunded"
    assert _given_back(a) == Decimal("60.00")
    _clean()


def test_no_parcel_refund_after_a_courier_liable_claim_took_the_rest(
        buyer_api, farm, shared_order):
    """The case Hypothesis found (CI profile): a courier-liable claim (the platform's 12.00),
    then a claim for the rest (the farm's 48.00), then staff refund 0.10 more of the parcel.
    The parcel's holders still have the platform's 12.00 in the books, and refunds were
    checked against the holders' money alone: the parcel gave back 60.10 of 60.00. A refund of
    a parcel is held to what the buyer may still get of it, at the request and in the books."""
    from books.services import refund_post
    from marketplace.errors import Conflict
    from payments.services import refund_request

    a = shared_order["a"]
    _courier_liable(buyer_api, farm, shared_order, "12.00")
    claim_id = _claim(buyer_api, shared_order["order_id"], a, shared_order["apples_line"])
    assert Claim.objects.get(pk=claim_id).amount == Decimal("48.00")
    farm["api"].post(f"/claims/{claim_id}/accept")

    with pytest.raises(Conflict) as refused:
        refund_request(order=Shipment.objects.get(pk=a).order, amount=Decimal("0.10"),
                       reason="客服退款", key="staff:2", shipment_id=a)

    assert refused.value.code == "refund_exceeds_payment"
    assert _given_back(a) == Decimal("60.00")
    with pytest.raises(Conflict):  # the books' own check agrees
        refund_post(order_id=shared_order["order_id"], amount=Decimal("0.10"), key="x",
                    shipment_id=a)
    _clean()


def test_an_agreed_claim_gets_only_what_staff_left_of_the_parcel(
        buyer_api, farm, shared_order):
    """Asked for the whole parcel (60.00); staff refund 20.00 of it before the farm answers:
    the farm's acceptance refunds the 40.00 left, instead of being refused (and, by silence,
    retried for ever while the parcel's money stays held)."""
    from payments.services import refund_request

    a = shared_order["a"]
    claim_id = _claim(buyer_api, shared_order["order_id"], a, shared_order["apples_line"])
    assert Claim.objects.get(pk=claim_id).amount == Decimal("60.00")
    refund_request(order=Shipment.objects.get(pk=a).order, amount=Decimal("20.00"),
                   reason="客服退款", key="staff:1", shipment_id=a)

    accepted = farm["api"].post(f"/claims/{claim_id}/accept")

    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["decided_amount"] == "40.00"
    assert accepted.json()["refund"]["amount"] == "40.00"
    assert _given_back(a) == Decimal("60.00")
    _clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_refund_once(buyer_api, open_claim, farm):
    claim_id = open_claim().json()["id"]

    results = run_concurrently(lambda: farm["api"].post(f"/claims/{claim_id}/accept"),
                               lambda: farm["api"].post(f"/claims/{claim_id}/accept"))

    assert sorted(r.status_code for r in results) == [200, 409]
    assert Refund.objects.filter(key=f"claim:{claim_id}").count() == 1
    assert Refund.objects.count() == 1
    assert Claim.objects.get(pk=claim_id).status == "refunded"
    _clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_racing_the_release_of_its_parcel(buyer_api, farm, parcel):
    """Both take the order's row: either the claim comes first and the parcel's money stays
    pending, or the release comes first and the claim's refund is taken from available money."""
    shipment_id = parcel["shipment"].pk
    later = timezone.now() + timedelta(days=8)

    def claim():
        return buyer_api.post(f"/orders/{parcel['order'].pk}/claims", {
            "shipment_id": shipment_id, "kind": "damaged",
            "lines": [{"line_id": parcel["tea_line"], "quantity": 1, "damage_pct": 50}]})

    results = run_concurrently(claim, lambda: delivered_money_release(now=later))

    assert results[0].status_code == 201, results[0].json()
    claim_row = Claim.objects.get(pk=results[0].json()["id"])
    release = LedgerTransaction.objects.filter(key=f"release:shipment:{shipment_id}").first()
    if release is None:
        assert results[1] == 0
        assert _fen("farm", farm["producer"].pk, bucket="available") == 0
    else:
        assert release.created_at <= claim_row.created_at
    farm["api"].post(f"/claims/{claim_row.pk}/accept")
    assert Claim.objects.get(pk=claim_row.pk).status == "refunded"
    _clean()


def test_a_claim_silence_accepts_when_staff_gave_the_parcel_back_closes_with_nothing(
        buyer_api, farm, shared_order):
    """Staff gave back the whole parcel after the claim was opened; the farm's silence then
    agrees to what is left, nothing: the claim closes without a refund, and no longer holds
    the parcel's money."""
    from claims.services import claims_due
    from payments.services import refund_request

    a = shared_order["a"]
    claim_id = _claim(buyer_api, shared_order["order_id"], a, shared_order["apples_line"])
    refund_request(order=Shipment.objects.get(pk=a).order, amount=Decimal("60.00"),
                   reason="客服退款", key="staff:1", shipment_id=a)

    claims_due(now=timezone.now() + timedelta(hours=49))

    claim = Claim.objects.get(pk=claim_id)
    assert claim.status == "accepted" and claim.decided_amount == Decimal("0.00")
    assert not claim.active and claim.refund is None
    assert _given_back(a) == Decimal("60.00")
    _clean()
