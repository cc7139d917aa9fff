from decimal import Decimal

import pytest

from producers.models import Listing
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


def listing_body(**extra):
    return {
        "title": "红富士苹果", "description": "脆甜多汁，现摘现发。", "category": "apples",
        "unit": "jin", "price": "12.50", "stock": 100, "story": "山坡上的老果园",
        "growing_method": "有机肥，人工除草", "harvest_start": "2026-09-20",
        "harvest_end": "2026-11-10", "net_weight_g": 500, "commission_rate": "0.10",
        "status": "active", **extra,
    }


# --- POST /listings: anonymous / buyer / producer ------------------------------------------------

def test_create_listing_anonymous_is_401(api, categories):
    assert api.post("/listings", listing_body()).status_code == 401
    assert not Listing.objects.exists()


def test_create_listing_by_a_buyer_without_producer_profile_is_403(buyer_api, categories):
    response = buyer_api.post("/listings", listing_body())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "producer_required"
    assert not Listing.objects.exists()


def test_a_producer_creates_a_listing_with_every_field(owner_api, producer, categories, regions):
    response = owner_api.post("/listings", listing_body(origin_region_id=regions["town"].pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "红富士苹果"
    assert body["category"] == "apples" and body["category_name"] == "苹果"
    assert body["price"] == "12.50" and body["currency"] == "CNY"
    assert body["commission_rate"] == "0.10"
    assert body["stock"] == 100 and body["status"] == "active"
    assert body["producer"] == {
        "id": producer.pk, "name": "李家果园",
        "region": body["producer"]["region"],
    }
    assert body["producer"]["region"]["code"] == "411627100201"
    assert body["origin_region"]["path"] == "河南省 / 周口市 / 太康县 / 城关回族镇"
    assert body["harvest_start"] == "2026-09-20" and body["harvest_end"] == "2026-11-10"
    assert body["net_weight_g"] == 500
    assert body["images"] == [] and body["batches"] == [] and body["video_count"] == 0
    listing = Listing.objects.get(pk=body["id"])
    assert listing.region_lineage == regions["town"].lineage
    assert "pingguo" in listing.search_text and "李家果园" in listing.search_text


def test_price_with_one_decimal_is_stored_and_shown_with_two(owner_api, producer, categories):
    body = owner_api.post("/listings", listing_body(price="8.5")).json()
    assert body["price"] == "8.50"


def test_a_new_listing_is_a_draft_by_default(owner_api, producer, categories):
    body = listing_body()
    del body["status"]
    assert owner_api.post("/listings", body).json()["status"] == "draft"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "-1.00"}, "price"),
        ({"price": "1.005"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "100000000"}, "price"),
        ({"price": "1e999999999"}, "price"),  # past the decimal context: no Overflow, a 422
        ({"price": "1e-999999999"}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": "many"}, "stock"),
        ({"commission_rate": "0.51"}, "commission_rate"),
        ({"commission_rate": "-0.01"}, "commission_rate"),
        ({"commission_rate": "0.105"}, "commission_rate"),
        ({"commission_rate": "1e999999999"}, "commission_rate"),
        ({"commission_rate": "1e-999999999"}, "commission_rate"),
        ({"harvest_start": "2026-10-01", "harvest_end": "2026-09-30"}, "harvest_end"),
        ({"harvest_start": "not a date"}, "harvest_start"),
        ({"category": "spaceships"}, "category"),
        ({"origin_region_id": 999999}, "origin_region_id"),
        ({"unit": "tonne"}, "unit"),
        ({"status": "archived"}, "status"),
        ({"title": ""}, "title"),
        ({"net_weight_g": 0}, "net_weight_g"),
    ],
)
def test_bad_listing_fields_are_422_with_the_field(owner_api, producer, categories, change,
                                                   field):
    response = owner_api.post("/listings", listing_body(**change))
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in [d["field"] for d in error["details"]]
    assert not Listing.objects.exists()


def test_commission_bounds_are_accepted(owner_api, producer, categories):
    assert owner_api.post("/listings", listing_body(commission_rate="0.50")).status_code == 201
    assert owner_api.post("/listings", listing_body(commission_rate="0")).status_code == 201
    assert owner_api.post("/listings", listing_body(commission_rate=None)).status_code == 201


def test_a_missing_required_field_is_422(owner_api, producer, categories):
    body = listing_body()
    del body["price"]
    response = owner_api.post("/listings", body)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "price"


def test_malformed_json_is_400_not_a_500(owner_api, producer, categories):
    response = owner_api.post("/listings", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


# --- PATCH /listings/{id}: anonymous / buyer / another producer / owner --------------------------

def test_patch_listing_anonymous_is_401(api, listing):
    assert api.patch(f"/listings/{listing.pk}", {"price": "1.00"}).status_code == 401


def test_patch_listing_by_a_buyer_is_404(buyer_api, listing):
    response = buyer_api.patch(f"/listings/{listing.pk}", {"price": "1.00"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "listing_not_found"


def test_patch_listing_by_another_producer_is_404(other_api, listing):
    assert other_api.patch(f"/listings/{listing.pk}", {"price": "1.00"}).status_code == 404
    listing.refresh_from_db()
    assert listing.price == Decimal("12.50")


def test_patch_listing_by_the_owner(owner_api, listing, regions):
    response = owner_api.patch(
        f"/listings/{listing.pk}",
        {"price": "9.90", "title": "冰糖心苹果", "category": "fruit",
         "origin_region_id": regions["taikang"].pk},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["price"] == "9.90" and body["title"] == "冰糖心苹果"
    assert body["category"] == "fruit"
    assert body["description"] == "脆甜多汁"
    listing.refresh_from_db()
    assert "bingtangxin" in listing.search_text
    assert listing.region_lineage == regions["taikang"].lineage


def test_patch_validates_against_the_stored_values(owner_api, listing):
    owner_api.patch(f"/listings/{listing.pk}", {"harvest_start": "2026-10-01"})
    response = owner_api.patch(f"/listings/{listing.pk}", {"harvest_end": "2026-09-01"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "harvest_end"


def test_patch_null_origin_falls_back_to_the_producer_region(owner_api, producer, regions):
    listing = make_listing(producer=producer, origin_region_id=regions["xihu"].pk)
    owner_api.patch(f"/listings/{listing.pk}", {"origin_region_id": None})
    listing.refresh_from_db()
    assert listing.origin_region is None
    assert listing.region_lineage == producer.region.lineage


def test_patch_does_not_overwrite_stock_or_sales_it_was_not_given(owner_api, listing):
    # an order takes stock between the producer's read and write
    Listing.objects.filter(pk=listing.pk).update(stock=3, sales=7)
    owner_api.patch(f"/listings/{listing.pk}", {"title": "新标题"})
    listing.refresh_from_db()
    assert (listing.stock, listing.sales) == (3, 7)


def test_a_patch_never_writes_back_what_it_read_before_an_archive(owner_api, listing):
    from producers import selectors, services

    read_by_the_patch = selectors.listing_owned(user=listing.producer.user, listing_id=listing.pk)
    assert owner_api.delete(f"/listings/{listing.pk}").status_code == 204  # meanwhile
    services.listing_update(listing=read_by_the_patch, title="新标题")
    listing.refresh_from_db()
    assert (listing.title, listing.status) == ("新标题", "archived")


# --- DELETE /listings/{id} ----------------------------------------------------------------------

def test_delete_listing_anonymous_is_401(api, listing):
    assert api.delete(f"/listings/{listing.pk}").status_code == 401


def test_delete_listing_by_a_buyer_or_another_producer_is_404(buyer_api, other_api, listing):
    assert buyer_api.delete(f"/listings/{listing.pk}").status_code == 404
    assert other_api.delete(f"/listings/{listing.pk}").status_code == 404
    listing.refresh_from_db()
    assert listing.status == "active"


def test_delete_by_the_owner_archives_and_keeps_the_row(owner_api, api, listing):
    assert owner_api.delete(f"/listings/{listing.pk}").status_code == 204
    listing.refresh_from_db()
    assert listing.status == "archived"
    assert api.get("/listings").json()["items"] == []
    assert api.get(f"/listings/{listing.pk}").status_code == 404
    assert owner_api.get(f"/listings/{listing.pk}").json()["status"] == "archived"
    # twice is harmless
    assert owner_api.delete(f"/listings/{listing.pk}").status_code == 204


def test_archiving_keeps_the_orders_placed_on_it_whole(owner_api, buyer_api, listing, regions):
    address = {"recipient": "张三", "phone": "13800000000", "region_id": regions["village"].pk,
               "detail": "二郎庙村 3 号"}
    placed = buyer_api.post("/orders", {"lines": [{"listing_id": listing.pk, "quantity": 2}],
                                        "shipping_address": address})
    assert placed.status_code == 201, placed.content
    assert owner_api.delete(f"/listings/{listing.pk}").status_code == 204
    for client in (buyer_api, owner_api):  # the buyer, and the farm with a shipment in it
        shown = client.get(f"/orders/{placed.json()['id']}")
        assert shown.status_code == 200
        assert shown.json()["lines"] == placed.json()["lines"]
        assert shown.json()["total"] == placed.json()["total"]


def test_an_archived_listing_can_be_put_back_on_sale(owner_api, listing):
    owner_api.delete(f"/listings/{listing.pk}")
    response = owner_api.patch(f"/listings/{listing.pk}", {"price": "10.00"})
    assert response.json()["status"] == "archived"
    response = owner_api.patch(f"/listings/{listing.pk}", {"status": "active"})
    assert response.json()["status"] == "active"


# --- GET /listings/{id} -------------------------------------------------------------------------

def test_a_draft_is_visible_to_its_owner_only(
    api, buyer_api, other_api, owner_api, producer
):
    draft = make_listing(producer=producer, status="draft")
    assert api.get(f"/listings/{draft.pk}").status_code == 404
    assert buyer_api.get(f"/listings/{draft.pk}").status_code == 404
    assert other_api.get(f"/listings/{draft.pk}").status_code == 404
    response = owner_api.get(f"/listings/{draft.pk}")
    assert response.status_code == 200 and response.json()["status"] == "draft"


def test_an_unknown_listing_is_404(api, categories):
    response = api.get("/listings/424242")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "listing_not_found"


def test_listing_detail_etag_304(api, listing):
    first = api.get(f"/listings/{listing.pk}")
    assert first.status_code == 200 and first["ETag"]
    again = api.get(f"/listings/{listing.pk}", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_service_returns_money_with_two_places(producer, categories):
    from producers.services import listing_create

    listing = listing_create(producer=producer, title="梨", category="pears", unit="kg",
                             price=Decimal("8.5"), commission_rate=Decimal("0.1"))
    assert str(listing.price) == "8.50" and str(listing.commission_rate) == "0.10"
