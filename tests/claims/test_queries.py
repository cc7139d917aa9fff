"""GET /claims costs the same number of queries for one claim as for twenty."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.claims.conftest import photo, place_and_pay, ship, upload

pytestmark = pytest.mark.django_db


def _claims(buyer_api, farm, n: int) -> None:
    for _ in range(n):
        order = place_and_pay(buyer_api, farm, apples=1, tea=1)
        shipment_id = order["shipments"][0]["id"]
        ship(farm, shipment_id)
        upload(farm["api"], f"/shipments/{shipment_id}/evidence", photo())
        buyer_api.post(f"/shipments/{shipment_id}/confirm")
        claim = buyer_api.post(f"/orders/{order['id']}/claims", {
            "shipment_id": shipment_id, "kind": "damaged",
            "lines": [{"line_id": line["id"], "quantity": 1, "damage_pct": 30}
                      for line in order["lines"]]})
        assert claim.status_code == 201, claim.json()


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_the_list_is_constant_in_queries(buyer_api, farm, settings):
    settings.CLAIM_ABUSE_COUNT_30D = 1000
    settings.CLAIM_RATE_MIN_ORDERS = 1000
    _claims(buyer_api, farm, 1)
    one_buyer = _count(buyer_api, "/claims?limit=100")
    one_farm = _count(farm["api"], "/claims?role=farm&limit=100")
    _claims(buyer_api, farm, 19)

    assert _count(buyer_api, "/claims?limit=100") == one_buyer
    assert _count(farm["api"], "/claims?role=farm&limit=100") == one_farm
    assert len(buyer_api.get("/claims?limit=100").json()["items"]) == 20
