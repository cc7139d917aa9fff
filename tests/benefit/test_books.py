"""The pledge in the books and on the public ledger: credited to the project when the order is
paid (from the farm's share, the promoter's from their commission), taken back in proportion by
refunds and cancellations, confirmed when the return window passes, and disbursed by staff
never above the confirmed balance.

World: farm 0 sells at 12.50 a kg, 10% to its promoter, 5% platform fee; 4 kg with the
promoter's link is 50.00 + 10.00 shipping."""

import hashlib
import hmac
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from benefit import ledger, services
from benefit.models import Disbursement, PublicEntry
from books import services as books
from ledger.models import Account, LedgerTransaction
from marketplace.errors import NotFound, ValidationFailed
from orders.models import Shipment
from tests.factories import make_user, make_video

pytestmark = pytest.mark.django_db


def books_add_up() -> None:
    assert sum(Account.objects.values_list("balance_fen", flat=True)) == 0
    call_command("ledger_verify")
    call_command("benefit_verify")


def test_a_paid_order_owes_the_project_its_pledge_less_from_the_farm(world):
    world.pledge(kind="fixed", value="1.00")

    order = world.buy({0: 4})

    # farm: 60.00 - fee 2.50 - commission 5.00 - pledge 4.00
    assert world.farm_balance(world.farms[0])["pending"] == Decimal("48.50")
    assert world.project_fen("pending") == 400
    assert world.entries() == [("pledge", 400)]
    entry = PublicEntry.objects.get()
    assert entry.listing_id == world.listings[0].pk
    assert entry.order_ref == hmac.new(b"test-order-ref-key", order.number.encode(),
                                       hashlib.sha256).hexdigest()
    books_add_up()


def test_the_farm_ledger_shows_the_pledge(world):
    world.pledge(kind="fixed", value="1.00")
    world.buy({0: 4})

    items = world.client_for(world.farms[0].user).get("/producers/me/ledger").json()["items"]

    assert ("benefit_pledge", "-4.00") in [(i["kind"], i["amount"]) for i in items]


def test_the_promoters_pledge_comes_out_of_their_commission(world):
    world.promoter_pledge("50")

    world.buy({0: 4})

    assert world.promoter_balance()["pending"] == Decimal("2.50")
    assert world.farm_balance(world.farms[0])["pending"] == Decimal("52.50")  # untouched
    assert world.project_fen("pending") == 250
    books_add_up()


def test_a_pledge_never_takes_the_farm_below_nothing(world, settings):
    settings.PLATFORM_FEE_RATE = Decimal("0.50")
    world.pledge(1, kind="percent", value="100")  # 100% of the goods, after a 50% fee

    world.buy({1: 3}, promo=False)  # 99.90, free shipping: the farm has 49.95 after the fee

    assert world.farm_balance(world.farms[1])["pending"] == Decimal("0.00")
    assert world.project_fen("pending") == 4995
    books_add_up()


def test_a_partial_refund_takes_back_the_same_share_of_the_pledge(world):
    world.pledge(kind="fixed", value="1.00")
    order = world.buy({0: 4})

    world.refund(order, "30.00")  # half of 60.00

    assert world.project_fen("pending") == 200
    assert world.entries() == [("pledge", 400), ("void", -200)]
    books_add_up()


def test_a_cancellation_after_payment_voids_the_whole_pledge(world):
    world.pledge(kind="fixed", value="1.00")
    world.promoter_pledge("50")
    order = world.buy({0: 4})

    world.cancel(order)

    assert world.project_fen("pending") == 0
    # one void per project and parcel: the farm's and the promoter's pledges together
    assert world.entries() == [("pledge", 400), ("pledge", 250), ("void", -650)]
    assert set(PublicEntry.objects.values_list("listing_id", flat=True)) == {
        world.listings[0].pk}
    books_add_up()


def test_the_pledge_is_confirmed_when_the_return_window_passes(api, world):
    world.pledge(kind="fixed", value="1.00")
    order = world.buy({0: 4})
    world.ship_and_deliver(order)

    world.settle(days=6)  # still within the window
    assert world.entries() == [("pledge", 400)]
    world.settle(days=8)

    assert (world.project_fen("pending"), world.project_fen("available")) == (0, 400)
    assert world.entries() == [("pledge", 400), ("confirm", 400)]
    body = api.get(f"/benefit/projects/{world.project.pk}").json()
    assert (body["pledged"], body["confirmed"], body["balance"]) == ("0.00", "4.00", "4.00")
    books_add_up()


def test_a_refund_after_confirmation_is_a_negative_confirm_never_an_edit(world):
    world.pledge(kind="fixed", value="1.00")
    order = world.buy({0: 4})
    world.ship_and_deliver(order)
    world.settle(days=8)
    hashes = list(PublicEntry.objects.order_by("seq").values_list("entry_hash", flat=True))

    world.refund(order, "60.00")

    assert world.entries() == [("pledge", 400), ("confirm", 400), ("confirm", -400)]
    assert list(PublicEntry.objects.order_by("seq").values_list(
        "entry_hash", flat=True))[:2] == hashes
    assert world.project_fen("available") == 0
    books_add_up()


def test_a_posting_delivered_twice_writes_its_public_entries_once(world):
    world.pledge(kind="fixed", value="1.00")
    order = world.buy({0: 4})

    with transaction.atomic():
        assert books.payment_post(order_id=order.pk) is None
    record = LedgerTransaction.objects.get(key=f"payment:order:{order.pk}")
    project = Account.objects.get(kind="benefit_project", bucket="pending")
    from ledger.posting import Line

    with pytest.raises(IntegrityError), transaction.atomic():  # the unique source: backstop
        ledger.record_posting(record, [Line(project, "benefit_pledge", 400, listing_id=None),
                                       Line(project, "benefit_pledge", -400)])
    assert PublicEntry.objects.count() == 1


def confirmed_project(world, units: int = 4):
    world.pledge(kind="fixed", value="1.00")
    order = world.buy({0: units})
    world.ship_and_deliver(order)
    world.settle(days=8)
    return order


def test_staff_disburse_with_a_receipt_and_evidence(api, world):
    confirmed_project(world)
    video = make_video(owner=world.worker, kind="origin", title="第一批午餐")

    disbursement = services.disbursement_create(
        project_id=world.project.pk, amount=Decimal("3.00"), paid_on=date(2026, 12, 1),
        receipt_number="豫财0012345", evidence_video_ids=[video.pk],
        evidence_urls=["https://example.org/receipt.jpg"], staff=None)

    assert list(disbursement.evidence_videos.all()) == [video]
    assert world.entries()[-1] == ("disbursement", -300)
    body = api.get(f"/benefit/projects/{world.project.pk}").json()
    assert (body["confirmed"], body["disbursed"], body["balance"]) == ("4.00", "3.00", "1.00")
    books_add_up()


def test_a_disbursement_above_the_confirmed_balance_is_refused_and_nothing_posted(world):
    confirmed_project(world)
    world.buy({0: 4})  # pledged, not confirmed: not available to disburse
    before = (LedgerTransaction.objects.count(), PublicEntry.objects.count())

    with pytest.raises(ValidationFailed) as refused:
        services.disbursement_create(project_id=world.project.pk, amount=Decimal("4.01"),
                                     paid_on=date(2026, 12, 1), receipt_number="R1")

    assert refused.value.code == "disbursement_exceeds_balance"
    assert (LedgerTransaction.objects.count(), PublicEntry.objects.count()) == before
    assert not Disbursement.objects.exists()


@pytest.mark.parametrize("fields, field", [
    ({"amount": Decimal("0")}, "amount"), ({"amount": Decimal("-1")}, "amount"),
    ({"amount": Decimal("1.001")}, "amount"), ({"receipt_number": "  "}, "receipt_number"),
    ({"evidence_urls": ["javascript:alert(1)"]}, "evidence_urls"),
])
def test_a_bad_disbursement_is_422_on_its_field(world, fields, field):
    confirmed_project(world)
    arguments = {"project_id": world.project.pk, "amount": Decimal("1.00"),
                 "paid_on": date(2026, 12, 1), "receipt_number": "R1", **fields}

    with pytest.raises(ValidationFailed) as refused:
        services.disbursement_create(**arguments)

    assert refused.value.details[0]["field"] == field
    assert not Disbursement.objects.exists()


def test_a_disbursement_for_an_unknown_project_is_not_found(db):
    with pytest.raises(NotFound):
        services.disbursement_create(project_id=999999, amount=Decimal("1.00"),
                                     paid_on=date(2026, 12, 1), receipt_number="R1")


def test_the_admin_records_a_disbursement_and_refuses_too_much_with_a_form_error(client, world):
    confirmed_project(world)
    staff = make_user(username="office")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    form = {"project": world.project.pk, "paid_on": "2026-12-01", "receipt_number": "R7",
            "note": "十二月午餐", "evidence_urls": "https://example.org/r.jpg"}

    refused = client.post("/admin/benefit/disbursement/add/", {**form, "amount": "9.00"})
    done = client.post("/admin/benefit/disbursement/add/", {**form, "amount": "4.00"})

    assert refused.status_code == 200
    assert "confirmed balance" in refused.content.decode()
    assert done.status_code == 302
    disbursement = Disbursement.objects.get()
    assert (disbursement.amount, disbursement.created_by) == (Decimal("4.00"), staff)
    assert disbursement.evidence_urls == ["https://example.org/r.jpg"]
    books_add_up()


def test_shipments_are_released_for_the_project_even_when_the_farm_gave_everything(world,
                                                                                   settings):
    settings.PLATFORM_FEE_RATE = Decimal("0")
    world.pledge(1, kind="percent", value="100")
    order = world.buy({1: 3}, promo=False)  # free shipping, no fee: the farm keeps nothing
    world.ship_and_deliver(order)

    world.settle(days=8)

    assert Shipment.objects.get(order=order).status == "delivered"
    assert world.project_fen("available") == 9990
    books_add_up()


def test_donors_hear_once_that_money_reached_their_project(world,
                                                            django_capture_on_commit_callbacks):
    from benefit.tasks import notify_disbursed
    from notify.models import Notification

    order = confirmed_project(world)
    world.buy({0: 1})  # the same buyer pledged twice: told once
    bystander = make_user(username="no_pledge")
    with django_capture_on_commit_callbacks(execute=True):
        disbursement = services.disbursement_create(
            project_id=world.project.pk, amount=Decimal("3.00"), paid_on=date(2026, 12, 1),
            receipt_number="豫财0012345")
    [told] = Notification.objects.filter(event="benefit_disbursed")
    assert told.user_id == order.buyer_id != bystander.pk
    assert "豫财0012345" in told.body and world.project.title in told.title
    assert notify_disbursed.delay(disbursement.pk).get() == 0  # again: nobody twice
