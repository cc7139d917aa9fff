"""A claim from opening to its answer, through the API, for both parties."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from claims.models import Claim, ClaimEvent
from notify.models import Notification
from tests.claims.conftest import photo, upload

pytestmark = pytest.mark.django_db


def test_the_buyer_opens_a_claim_priced_by_damage_with_its_shipping_share(
        open_claim, parcel, farm):
    response = open_claim()

    assert response.status_code == 201, response.json()
    body = response.json()
    # goods 2 x 12.50 x 50% = 12.50; shipping share 10.00 x 12.50 / 150.00 = 0.83
    assert body["amount"] == "13.33" and body["currency"] == "CNY"
    assert body["status"] == "open" and body["kind"] == "damaged"
    assert body["lines"] == [{"line_id": parcel["apples_line"], "title": "红富士苹果",
                              "unit_price": "12.50", "quantity": 2, "damage_pct": 50,
                              "proposed_pct": None}]
    assert body["events"][0]["actor"] == "buyer" and body["events"][0]["action"] == "opened"
    assert body["refund"] is None and body["decided_amount"] is None
    # the farm hears of it at once, urgently
    told = Notification.objects.get(user=farm["producer"].user, event="claim_opened")
    assert told.urgent and "13.33" in told.body


def test_a_whole_parcel_lost_gets_its_whole_shipping_back(open_claim, parcel):
    response = open_claim(lines=[
        {"line_id": parcel["apples_line"], "quantity": 4, "damage_pct": 100},
        {"line_id": parcel["tea_line"], "quantity": 1, "damage_pct": 100}])

    assert response.status_code == 201
    assert response.json()["amount"] == "160.00"  # 50 + 100 goods + 10 shipping


def test_the_farm_accepts_and_the_buyer_is_told(open_claim, farm, buyer):
    claim_id = open_claim().json()["id"]

    response = farm["api"].post(f"/claims/{claim_id}/accept")

    assert response.status_code == 200
    # the sandbox refunds at once: accepted, then refunded
    body = response.json()
    assert body["status"] == "refunded" and body["decided_amount"] == "13.33"
    assert body["refund"]["amount"] == "13.33" and body["refund"]["status"] == "succeeded"
    assert [e["action"] for e in body["events"]][-2:] == ["accepted", "refunded"]
    assert Notification.objects.filter(user=buyer, event="claim_answered").count() == 1
    assert Notification.objects.filter(user=buyer, event="refund_succeeded").count() == 1
    # accepting twice is a wrong transition
    again = farm["api"].post(f"/claims/{claim_id}/accept")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"


def test_a_rejection_needs_the_farms_evidence_then_the_buyer_escalates(
        open_claim, farm, buyer_api, parcel):
    claim_id = open_claim().json()["id"]

    without = farm["api"].post(f"/claims/{claim_id}/reject", {"note": "包装完好"})
    assert without.status_code == 422
    assert without.json()["error"]["details"][0]["field"] == "evidence"
    packing = upload(farm["api"], f"/shipments/{parcel['shipment'].pk}/evidence", photo())
    assert packing.status_code == 201, packing.json()
    assert packing.json()["party"] == "farm"

    rejected = farm["api"].post(f"/claims/{claim_id}/reject", {"note": "发货时包装完好"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected" and rejected.json()["escalate_by"]
    # the farm's packing photo shows with the claim
    assert [e["party"] for e in rejected.json()["evidence"]] == ["farm"]

    escalated = buyer_api.post(f"/claims/{claim_id}/escalate", {"note": "要求平台介入"})
    assert escalated.status_code == 200 and escalated.json()["status"] == "escalated"
    assert Notification.objects.filter(user=farm["producer"].user,
                                       event="claim_escalated").exists()


def test_a_proposal_is_priced_and_the_buyer_takes_it(open_claim, farm, buyer_api, parcel):
    claim_id = open_claim().json()["id"]

    proposed = farm["api"].post(f"/claims/{claim_id}/propose", {
        "lines": [{"line_id": parcel["apples_line"], "damage_pct": 10}], "note": "只有一个坏果"})

    assert proposed.status_code == 200, proposed.json()
    # 2 x 12.50 x 10% = 2.50, shipping share 10 x 2.50 / 150 = 0.17
    assert proposed.json()["proposed_amount"] == "2.67"
    assert proposed.json()["lines"][0]["proposed_pct"] == 10
    taken = buyer_api.post(f"/claims/{claim_id}/accept-proposal")
    assert taken.status_code == 200
    assert taken.json()["status"] == "refunded" and taken.json()["decided_amount"] == "2.67"
    assert taken.json()["refund"]["amount"] == "2.67"


def test_the_buyer_withdraws_and_may_claim_again(open_claim, buyer_api):
    claim_id = open_claim().json()["id"]

    withdrawn = buyer_api.post(f"/claims/{claim_id}/withdraw")

    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert open_claim().status_code == 201
    again = buyer_api.post(f"/claims/{claim_id}/withdraw")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"


def test_escalating_after_seven_days_is_too_late(open_claim, farm, buyer_api, parcel):
    claim_id = open_claim().json()["id"]
    upload(farm["api"], f"/shipments/{parcel['shipment'].pk}/evidence", photo())
    farm["api"].post(f"/claims/{claim_id}/reject", {"note": "包装完好"})
    Claim.objects.filter(pk=claim_id).update(escalate_by=timezone.now() - timedelta(minutes=1))

    response = buyer_api.post(f"/claims/{claim_id}/escalate", {"note": ""})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "claim_window_closed"


def test_the_farm_cannot_reject_after_its_deadline(open_claim, farm, parcel):
    claim_id = open_claim().json()["id"]
    upload(farm["api"], f"/shipments/{parcel['shipment'].pk}/evidence", photo())
    Claim.objects.filter(pk=claim_id).update(respond_by=timezone.now() - timedelta(minutes=1))

    response = farm["api"].post(f"/claims/{claim_id}/reject", {"note": "包装完好"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "claim_window_closed"


def test_staff_decide_an_escalated_claim(open_claim, farm, buyer_api, parcel, buyer):
    from accounts.models import User
    from claims import services

    claim_id = open_claim().json()["id"]
    farm["api"].post(f"/claims/{claim_id}/propose",
                     {"lines": [{"line_id": parcel["apples_line"], "damage_pct": 10}]})
    buyer_api.post(f"/claims/{claim_id}/escalate", {"note": ""})
    staff = User.objects.create_user(username="kefu", password="x", is_staff=True)

    claim = services.claim_decide(claim_id=claim_id, staff=staff, amount=Decimal("8.00"),
                                  courier_liable=True, note="快递压坏")

    claim.refresh_from_db()
    assert (claim.status, claim.decided_amount, claim.courier_liable) == (
        "refunded", Decimal("8.00"), True)
    assert ClaimEvent.objects.filter(claim_id=claim_id, actor="staff").exists()
    body = buyer_api.get(f"/claims/{claim_id}").json()
    assert body["status"] == "refunded" and body["refund"]["amount"] == "8.00"
    assert [e["actor"] for e in body["events"]][-2:] == ["staff", "system"]


def test_lists_by_role_and_status(open_claim, farm, buyer_api):
    claim_id = open_claim().json()["id"]

    mine = buyer_api.get("/claims").json()
    theirs = farm["api"].get("/claims?role=farm&status=open").json()
    none = farm["api"].get("/claims?role=farm&status=accepted").json()

    assert [c["id"] for c in mine["items"]] == [claim_id]
    assert [c["id"] for c in theirs["items"]] == [claim_id]
    assert none["items"] == []
    assert buyer_api.get("/claims?role=farm").status_code == 403
    assert buyer_api.get("/claims?status=nonsense").status_code == 422
