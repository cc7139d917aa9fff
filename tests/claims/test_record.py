"""The public claim record of a farm and of a lot: parcels shipped, claimed, refunded and the
median hours the farm took to answer, bad numbers included; the farm's 90-day claim rate."""

import re
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


def test_the_median_is_exact_and_rounds_half_up_to_a_tenth():
    hour = 3600 * 1_000_000
    assert selectors.median_hours([]) is None
    assert selectors.median_hours([3 * hour, hour, 2 * hour]) == Decimal("2.0")
    assert selectors.median_hours([hour, 2 * hour]) == Decimal("1.5")
    assert selectors.median_hours([hour // 4, hour // 10]) == Decimal("0.2")  # 0.175 -> 0.2


# --- On the pages: the trace JSON and page, /l/{id}, the farm's profile ------------------------

def _claimed_lot(farm, parcel, open_claim):
    """The apples of the buyer's parcel came from one lot; the buyer claimed, the farm accepted
    5 hours later (refunded)."""
    batch = make_batch(listing=farm["apples"])
    LineLot.objects.create(line_id=parcel["apples_line"], batch=batch, quantity=4)
    claim_id = open_claim().json()["id"]
    Claim.objects.filter(pk=claim_id).update(created_at=timezone.now() - timedelta(hours=5))
    assert farm["api"].post(f"/claims/{claim_id}/accept").json()["status"] == "refunded"
    return batch


def test_the_trace_json_carries_the_lots_and_the_farms_record(api, farm, parcel, open_claim,
                                                               buyer_api):
    batch = _claimed_lot(farm, parcel, open_claim)
    other = place_and_pay(buyer_api, farm, apples=1, tea=0)  # the farm's, not of this lot
    ship(farm, other["shipments"][0]["id"])

    claims = api.get(f"/api/v1/trace/{batch.trace_code}").json()["claims"]

    assert {k: claims["lot"][k] for k in ("shipped", "claimed", "refunded")} == {
        "shipped": 1, "claimed": 1, "refunded": 1}
    assert {k: claims["farm"][k] for k in ("shipped", "claimed", "refunded")} == {
        "shipped": 2, "claimed": 1, "refunded": 1}
    assert claims["lot"]["median_hours_to_answer"] == "5.0"


def test_the_trace_page_shows_the_record_bad_numbers_included(client, farm, parcel, open_claim):
    batch = _claimed_lot(farm, parcel, open_claim)

    html = client.get(f"/trace/{batch.trace_code}").content.decode()

    assert "售后记录" in html
    lot_row = re.search(r"<th>本批次<br>[^<]*</th>((?:<td>[^<]*</td>){4})", html)
    assert lot_row is not None, html
    assert re.findall(r"<td>([^<]*)</td>", lot_row.group(1))[:3] == ["1", "1", "1"]
    assert "5.0 小时" in html
    assert "李家果园<br>全部" in html


def test_the_listing_page_shows_the_farms_record_and_its_newest_lots(client, farm, parcel,
                                                                     open_claim):
    batch = _claimed_lot(farm, parcel, open_claim)
    make_batch(listing=farm["tea"])  # another listing's lot: not this page's

    html = client.get(f"/l/{farm['apples'].pk}").content.decode()

    assert "售后记录" in html and f"本批次<br>{batch.lot_code}" in html
    assert re.search(r"李家果园<br>全部</th><td>1</td><td>1</td><td>1</td>", html), html


def test_a_listing_without_lots_shows_the_farms_record_alone(client, farm):
    html = client.get(f"/l/{farm['tea'].pk}").content.decode()

    assert "售后记录" in html and "本批次" not in html
    assert re.search(r"李家果园<br>全部</th><td>0</td><td>0</td><td>0</td><td>—</td>", html)


def test_the_farms_profile_carries_its_90_day_claim_rate(api, farm, parcel, open_claim,
                                                        buyer_api):
    other = place_and_pay(buyer_api, farm, apples=1, tea=0)
    ship(farm, other["shipments"][0]["id"])
    open_claim()

    profile = api.get(f"/producers/{farm['producer'].pk}")

    assert profile.status_code == 200
    assert profile.json()["claim_rate_90d"] == "50.0"  # 1 of 2 parcels
    assert profile.json()["name"] == "李家果园"


def test_a_farm_that_shipped_nothing_has_no_claim_rate(api, farm):
    assert api.get(f"/producers/{farm['producer'].pk}").json()["claim_rate_90d"] is None


def test_the_owner_still_changes_the_profile_on_its_path(farm):
    response = farm["api"].patch(f"/producers/{farm['producer'].pk}", {"story": "新故事"})

    assert response.status_code == 200, response.json()
    assert response.json()["story"] == "新故事" and "phone" in response.json()
