"""The periodic task: reminders before the farm's deadline, silence as acceptance (once, even
run twice at once), lapsed proposals and rejections; abuse rules keep a claim for staff."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from claims.models import Claim, ClaimEvent
from claims.services import claims_due
from notify.models import Notification
from payments.models import Refund
from shanhuo.celery import app
from tests.claims.conftest import photo, place_and_pay, ship, upload
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db


def test_the_task_is_in_the_beat_schedule_and_runs_in_make_run():
    from shanhuo.scheduler import Scheduler

    entry = settings.CELERY_BEAT_SCHEDULE["claims-deadlines"]
    assert entry["task"] == "claims.tasks.claim_deadlines"
    assert "claims-deadlines" in Scheduler(settings.CELERY_BEAT_SCHEDULE).entries
    assert "claims.tasks.claim_deadlines" in app.tasks


def test_silence_is_acceptance_once(open_claim, farm, buyer):
    claim_id = open_claim().json()["id"]
    later = timezone.now() + timedelta(hours=49)

    first = claims_due(now=later)
    second = claims_due(now=later)

    claim = Claim.objects.get(pk=claim_id)
    assert (claim.status, claim.decided_amount) == ("refunded", claim.amount)
    assert claim.refund.amount == claim.amount
    assert first["accepted"] == 1 and second["accepted"] == 0
    assert ClaimEvent.objects.filter(claim=claim, action="auto_accepted").count() == 1
    assert Notification.objects.filter(user=buyer, event="claim_answered").count() == 1


def test_not_before_the_deadline(open_claim):
    claim_id = open_claim().json()["id"]

    claims_due(now=timezone.now() + timedelta(hours=47))

    assert Claim.objects.get(pk=claim_id).status == "open"


def test_the_farm_is_reminded_once_before_its_deadline(open_claim, farm):
    open_claim()
    soon = timezone.now() + timedelta(hours=40)

    claims_due(now=soon)
    claims_due(now=soon + timedelta(minutes=5))

    reminders = Notification.objects.filter(user=farm["producer"].user, event="claim_deadline")
    assert reminders.count() == 1 and reminders.get().urgent


def test_a_claim_for_staff_is_escalated_never_accepted(open_claim):
    claim_id = open_claim().json()["id"]
    Claim.objects.filter(pk=claim_id).update(staff_reasons=["frequent_claims"])

    claims_due(now=timezone.now() + timedelta(hours=49))

    assert Claim.objects.get(pk=claim_id).status == "escalated"


def test_a_proposal_the_buyer_let_lapse_stands(open_claim, farm, parcel):
    claim_id = open_claim().json()["id"]
    farm["api"].post(f"/claims/{claim_id}/propose",
                     {"lines": [{"line_id": parcel["apples_line"], "damage_pct": 10}]})

    claims_due(now=timezone.now() + timedelta(days=8))

    claim = Claim.objects.get(pk=claim_id)
    assert (claim.status, claim.decided_amount) == ("refunded", claim.proposed_amount)


def test_a_rejection_not_escalated_in_time_is_final_and_frees_the_parcel(
        open_claim, farm, parcel):
    claim_id = open_claim().json()["id"]
    upload(farm["api"], f"/shipments/{parcel['shipment'].pk}/evidence", photo())
    farm["api"].post(f"/claims/{claim_id}/reject", {"note": "包装完好"})
    assert open_claim().json()["error"]["code"] == "claim_open"

    claims_due(now=timezone.now() + timedelta(days=8))

    claim = Claim.objects.get(pk=claim_id)
    assert claim.status == "rejected" and not claim.active and claim.closed_at


def test_three_claims_in_thirty_days_go_to_staff(buyer_api, farm, settings):
    settings.CLAIM_RATE_MIN_ORDERS = 100  # only the count rule here
    reasons = []
    for _ in range(3):
        order = place_and_pay(buyer_api, farm, apples=1, tea=0)
        shipment_id = order["shipments"][0]["id"]
        ship(farm, shipment_id)
        buyer_api.post(f"/shipments/{shipment_id}/confirm")
        claim = buyer_api.post(f"/orders/{order['id']}/claims", {
            "shipment_id": shipment_id, "kind": "damaged",
            "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1, "damage_pct": 10}]})
        reasons.append(Claim.objects.get(pk=claim.json()["id"]).staff_reasons)

    assert reasons == [[], [], ["frequent_claims"]]


def test_claims_on_over_30_percent_of_orders_go_to_staff(buyer_api, farm, settings):
    settings.CLAIM_RATE_MIN_ORDERS = 4
    orders = [place_and_pay(buyer_api, farm, apples=1, tea=0) for _ in range(4)]
    for order in orders[:2]:
        ship(farm, order["shipments"][0]["id"])
        buyer_api.post(f"/shipments/{order['shipments'][0]['id']}/confirm")
    reasons = []
    for order in orders[:2]:
        claim = buyer_api.post(f"/orders/{order['id']}/claims", {
            "shipment_id": order["shipments"][0]["id"], "kind": "damaged",
            "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1, "damage_pct": 10}]})
        reasons.append(Claim.objects.get(pk=claim.json()["id"]).staff_reasons)

    # 1 of 4 orders is 25%; 2 of 4 is 50%
    assert reasons == [[], ["claim_rate"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_deadline_task_twice_at_once_accepts_once(open_claim, buyer):
    claim_id = open_claim().json()["id"]
    later = timezone.now() + timedelta(hours=49)

    results = run_concurrently(lambda: claims_due(now=later), lambda: claims_due(now=later))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["accepted"] for r in results) == 1
    assert ClaimEvent.objects.filter(claim_id=claim_id, action="auto_accepted").count() == 1
    assert Notification.objects.filter(user=buyer, event="claim_answered").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_farms_answer_racing_the_task_has_one_outcome(open_claim, farm):
    claim_id = open_claim().json()["id"]
    # at the deadline: the farm's accept and the task's acceptance race
    Claim.objects.filter(pk=claim_id).update(respond_by=timezone.now())

    results = run_concurrently(lambda: farm["api"].post(f"/claims/{claim_id}/accept"),
                               lambda: claims_due())

    assert not [r for r in results if isinstance(r, Exception)], results
    accepted = ClaimEvent.objects.filter(claim_id=claim_id,
                                         action__in=["accepted", "auto_accepted"]).count()
    assert accepted == 1
    assert Claim.objects.get(pk=claim_id).status == "refunded"
    assert Refund.objects.filter(key=f"claim:{claim_id}").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_claims_at_once_on_one_parcel_open_one(buyer_api, parcel):
    def claim(line):
        return buyer_api.post(f"/orders/{parcel['order'].pk}/claims", {
            "shipment_id": parcel["shipment"].pk, "kind": "damaged",
            "lines": [{"line_id": line, "quantity": 1, "damage_pct": 10}]}).status_code

    results = run_concurrently(lambda: claim(parcel["apples_line"]),
                               lambda: claim(parcel["tea_line"]))

    assert sorted(results) == [201, 409]
    assert Claim.objects.filter(shipment=parcel["shipment"]).count() == 1
