"""The public claim record of a farm and of a lot: parcels shipped, claimed, refunded and the
median hours the farm took to answer, bad numbers included; the farm's 90-day claim rate."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from claims import selectors
from claims.models import Claim
from orders.models import LineLot
from tests.claims.conftest import place_and_pay, ship
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


def test_a_farm_with_nothing_shipped_has_an_empty_record(farm):
    assert selectors.farm_record(producer_id=farm["producer"].pk) == {
        "shipped": 0, "claimed": 0, "refunded": 0, "median_hours_to_answer": None}
    assert selectors.farm_claim_rate_90d(producer_id=farm["producer"].pk) is None


def test_the_record_counts_claims_refunds_and_the_time_to_answer(open_claim, farm, buyer_api,
                                                                  parcel):
    place_and_pay(buyer_api, farm, apples=1, tea=0)  # not shipped: not counted
    second = place_and_pay(buyer_api, farm, apples=1, tea=0)
    ship(farm, second["shipments"][0]["id"])
    claim_id = open_claim().json()["id"]
    Claim.objects.filter(pk=claim_id).update(created_at=timezone.now() - timedelta(hours=5))
    farm["api"].post(f"/claims/{claim_id}/accept")

    record = selectors.farm_record(producer_id=farm["producer"].pk)

    assert record["shipped"] == 2 and record["claimed"] == 1 and record["refunded"] == 1
    assert 4.9 <= record["median_hours_to_answer"] <= 5.1
    assert selectors.farm_claim_rate_90d(producer_id=farm["producer"].pk) == Decimal("50.0")


def test_a_withdrawn_claim_is_not_held_against_the_farm(open_claim, farm, buyer_api):
    claim_id = open_claim().json()["id"]
    buyer_api.post(f"/claims/{claim_id}/withdraw")

    assert selectors.farm_record(producer_id=farm["producer"].pk)["claimed"] == 0


def test_a_lots_record_counts_the_parcels_that_carried_it(open_claim, farm, parcel):
    batch = make_batch(listing=farm["apples"])
    LineLot.objects.create(line_id=parcel["apples_line"], batch=batch, quantity=4)
    open_claim()

    record = selectors.lot_record(batch_id=batch.pk)

    assert (record["shipped"], record["claimed"], record["refunded"]) == (1, 1, 0)
