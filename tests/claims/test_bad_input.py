"""Every bad input of a claim has its answer: 404 for what the caller may not see, 422 naming
the field, 409 for the windows, a second claim and wrong transitions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import Claim
from orders.models import Shipment
from tests.claims.conftest import place_and_pay, ship

pytestmark = pytest.mark.django_db


def _field(response) -> str:
    return response.json()["error"]["details"][0]["field"]


def test_another_buyers_order_is_404(open_claim, other_buyer_api):
    response = open_claim(client=other_buyer_api)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"


def test_another_buyers_shipment_in_ones_own_order_is_404(buyer_api, open_claim, parcel,
                                                          other_buyer_api, farm):
    theirs = place_and_pay(other_buyer_api, farm, apples=1, tea=0)

    response = buyer_api.post(f"/orders/{parcel['order'].pk}/claims", {
        "shipment_id": theirs["shipments"][0]["id"], "kind": "damaged",
        "lines": [{"line_id": parcel["apples_line"], "quantity": 1, "damage_pct": 10}]})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "shipment_not_found"


def test_the_farm_of_the_order_may_not_claim_as_the_buyer(open_claim, farm):
    assert open_claim(client=farm["api"]).status_code == 403


def test_a_line_not_in_that_shipment_is_422_naming_it(open_claim, buyer_api, farm, parcel):
    elsewhere = place_and_pay(buyer_api, farm, apples=1, tea=0)["lines"][0]["id"]

    response = open_claim(lines=[
        {"line_id": parcel["apples_line"], "quantity": 1, "damage_pct": 10},
        {"line_id": elsewhere, "quantity": 1, "damage_pct": 10}])

    assert response.status_code == 422
    assert _field(response) == "lines.1.line_id"


def test_a_quantity_above_the_lines_is_422_naming_it(open_claim, parcel):
    response = open_claim(lines=[{"line_id": parcel["apples_line"], "quantity": 5,
                                  "damage_pct": 10}])

    assert response.status_code == 422
    assert _field(response) == "lines.0.quantity"


@pytest.mark.parametrize("damage", [0, 20, 101, "50", None])
def test_a_damage_level_not_in_the_list_is_422_naming_it(open_claim, parcel, damage):
    response = open_claim(lines=[{"line_id": parcel["apples_line"], "quantity": 1,
                                  "damage_pct": damage}])

    assert response.status_code == 422
    assert _field(response) == "lines.0.damage_pct"


@pytest.mark.parametrize("body, field", [
    ({"kind": "broken"}, "kind"),
    ({"lines": []}, "lines"),
    ({"note": "x" * 501}, "note"),
    ({"note": "a\x00b"}, "note"),
    ({"shipment_id": 0}, "shipment_id"),
])
def test_other_bad_fields_are_422(buyer_api, parcel, body, field):
    payload = {"shipment_id": parcel["shipment"].pk, "kind": "damaged",
               "lines": [{"line_id": parcel["apples_line"], "quantity": 1, "damage_pct": 10}],
               **body}

    response = buyer_api.post(f"/orders/{parcel['order'].pk}/claims", payload)

    assert response.status_code == 422
    assert _field(response) == field


def test_the_same_line_twice_is_422(open_claim, parcel):
    line = {"line_id": parcel["apples_line"], "quantity": 1, "damage_pct": 10}

    response = open_claim(lines=[line, line])

    assert response.status_code == 422 and _field(response) == "lines.1.line_id"


def test_perishables_close_48_hours_after_delivery_other_goods_after_the_return_window(
        open_claim, parcel):
    Shipment.objects.filter(pk=parcel["shipment"].pk).update(
        delivered_at=timezone.now() - timedelta(hours=49))

    apples = open_claim()
    tea = open_claim(lines=[{"line_id": parcel["tea_line"], "quantity": 1, "damage_pct": 30}])

    assert apples.status_code == 409
    assert apples.json()["error"]["code"] == "claim_window_closed"
    assert tea.status_code == 201  # tea keeps RETURN_WINDOW_DAYS
    Claim.objects.all().update(active=False)
    Shipment.objects.filter(pk=parcel["shipment"].pk).update(
        delivered_at=timezone.now() - timedelta(days=8))
    late = open_claim(lines=[{"line_id": parcel["tea_line"], "quantity": 1, "damage_pct": 30}])
    assert late.status_code == 409 and late.json()["error"]["code"] == "claim_window_closed"


def test_a_second_open_claim_on_the_parcel_is_409_claim_open(open_claim, parcel):
    assert open_claim().status_code == 201

    second = open_claim(lines=[{"line_id": parcel["tea_line"], "quantity": 1,
                                "damage_pct": 30}])

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "claim_open"


def test_at_most_five_claims_per_line(open_claim, buyer_api):
    for _ in range(5):
        claim_id = open_claim(lines=None).json()["id"]
        assert buyer_api.post(f"/claims/{claim_id}/withdraw").status_code == 200

    sixth = open_claim()

    assert sixth.status_code == 409
    assert sixth.json()["error"]["code"] == "claim_limit_reached"


def test_damage_before_delivery_and_not_received_after_it_are_wrong_states(
        buyer_api, farm, open_claim, parcel):
    order = place_and_pay(buyer_api, farm, apples=1, tea=0)
    body = {"shipment_id": order["shipments"][0]["id"], "kind": "damaged",
            "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1, "damage_pct": 10}]}

    pending = buyer_api.post(f"/orders/{order['id']}/claims", body)
    delivered = open_claim(kind="not_received")

    assert pending.status_code == 409 and pending.json()["error"]["code"] == "invalid_state"
    assert delivered.status_code == 409 and delivered.json()["error"]["code"] == "invalid_state"


def test_not_received_opens_days_after_shipping(buyer_api, farm):
    order = place_and_pay(buyer_api, farm, apples=1, tea=0)
    shipment_id = order["shipments"][0]["id"]
    ship(farm, shipment_id)
    body = {"shipment_id": shipment_id, "kind": "not_received",
            "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1, "damage_pct": 100}]}

    early = buyer_api.post(f"/orders/{order['id']}/claims", body)
    Shipment.objects.filter(pk=shipment_id).update(
        shipped_at=timezone.now() - timedelta(days=8))
    due = buyer_api.post(f"/orders/{order['id']}/claims", body)

    assert early.status_code == 409
    assert early.json()["error"]["code"] == "claim_window_closed"
    assert "opens_at" in early.json()["error"]["details"]
    assert due.status_code == 201, due.json()


def test_wrong_parties_and_transitions(open_claim, farm, buyer_api, other_buyer_api, parcel):
    claim_id = open_claim().json()["id"]

    # the buyer cannot answer for the farm, the farm cannot withdraw for the buyer
    assert buyer_api.post(f"/claims/{claim_id}/accept").status_code == 403
    assert farm["api"].post(f"/claims/{claim_id}/withdraw").status_code == 403
    # a stranger does not learn it exists
    assert other_buyer_api.get(f"/claims/{claim_id}").status_code == 404
    assert other_buyer_api.post(f"/claims/{claim_id}/withdraw").status_code == 404
    # nothing proposed, nothing rejected: the buyer's replies are wrong transitions
    for action in ("accept-proposal", "escalate"):
        response = buyer_api.post(f"/claims/{claim_id}/{action}", {"note": ""})
        assert response.status_code == 409, action
        assert response.json()["error"]["code"] == "invalid_state"
    # a proposal naming a line not in the claim
    response = farm["api"].post(f"/claims/{claim_id}/propose", {
        "lines": [{"line_id": parcel["tea_line"], "damage_pct": 10}]})
    assert response.status_code == 422 and _field(response) == "lines.0.line_id"
    assert farm["api"].post(f"/claims/{claim_id}/reject", {"note": ""}).status_code == 422
    assert buyer_api.get("/claims/999999999").status_code == 404
