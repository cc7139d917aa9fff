import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from producers import services
from producers.models import Batch, Category, Listing, ListingImage, Region
from tests.factories import make_batch, make_listing, make_user
from tests.producers.conftest import jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    user = make_user(username="staff", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def photographed(listing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.listing_image_add(
            listing=listing, file=SimpleUploadedFile("a.jpg", jpeg_bytes()), size=10_000)
    return listing


@pytest.mark.parametrize("model", ["producer", "listing", "listingimage", "batch", "region",
                                   "category"])
def test_admin_lists_open(staff, photographed, model):
    make_batch(listing=photographed)
    response = staff.get(f"/admin/producers/{model}/")
    assert response.status_code == 200


def test_listing_admin_shows_photo_previews(staff, photographed):
    page = staff.get("/admin/producers/listing/").content.decode()
    assert "-small.webp" in page
    page = staff.get(f"/admin/producers/listing/{photographed.pk}/change/").content.decode()
    assert "-small.webp" in page


def test_batch_admin_shows_scans_and_adds_lots_with_trace_codes(staff, listing):
    batch = make_batch(listing=listing)
    Batch.objects.filter(pk=batch.pk).update(scans=42)
    page = staff.get("/admin/producers/batch/").content.decode()
    assert ">42<" in page and f"/trace/{batch.trace_code}" in page
    response = staff.post("/admin/producers/batch/add/", {
        "listing": listing.pk, "lot_code": "ADMIN-1", "harvested_on": "2026-10-02",
        "quantity": "10", "notes": "", "certifications": "[]",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Batch.objects.get(lot_code="ADMIN-1")
    assert len(created.trace_code) == 10


def test_editing_a_producer_in_the_admin_refreshes_listing_search(staff, producer, listing):
    response = staff.post(f"/admin/producers/producer/{producer.pk}/change/", {
        "user": producer.user_id, "name": "赵家庄园", "kind": "farmer",
        "region": producer.region_id, "story": "", "phone": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "zhaojia" in Listing.objects.get(pk=listing.pk).search_text


def test_the_reprocess_action_makes_the_thumbnails_again_and_leaves_no_stray_files(
    staff, photographed, django_capture_on_commit_callbacks
):
    image = ListingImage.objects.get(listing=photographed)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post("/admin/producers/listingimage/", {
            "action": "reprocess", "_selected_action": [image.pk]})
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.status == "ready" and image.small and image.medium
    folder = os.path.dirname(image.small.name)
    stem = os.path.basename(image.original.name).rsplit(".", 1)[0]
    kept = sorted(name for name in image.small.storage.listdir(folder)[1] if stem in name)
    assert kept == sorted(os.path.basename(f.name) for f in (image.small, image.medium))


def test_editing_a_listing_in_the_admin_refreshes_its_search_and_region(staff, listing, regions):
    response = staff.post(f"/admin/producers/listing/{listing.pk}/change/", {
        "producer": listing.producer_id, "title": "冰糖心苹果", "description": "",
        "category": listing.category_id, "unit": "jin", "price": "12.50", "stock": "10",
        "origin_region": regions["xihu"].pk, "story": "", "growing_method": "",
        "status": "active",
        "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0",
        "batches-TOTAL_FORMS": "0", "batches-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    listing.refresh_from_db()
    assert "bingtangxin" in listing.search_text
    assert listing.region_lineage == regions["xihu"].lineage


def test_an_admin_edit_never_writes_back_stock_that_orders_moved(staff, listing):
    page = staff.get(f"/admin/producers/listing/{listing.pk}/change/")
    assert page.status_code == 200
    Listing.objects.filter(pk=listing.pk).update(stock=3, sales=7)  # orders, meanwhile
    response = staff.post(f"/admin/producers/listing/{listing.pk}/change/", {
        "producer": listing.producer_id, "title": "改个标题", "description": "",
        "category": listing.category_id, "unit": "jin", "price": "12.50", "stock": "10",
        "story": "", "growing_method": "", "status": "active",
        "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0",
        "batches-TOTAL_FORMS": "0", "batches-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    listing.refresh_from_db()
    assert (listing.title, listing.stock, listing.sales) == ("改个标题", 3, 7)


@pytest.mark.parametrize(("change", "field"), [
    ({"lot_code": "有 空格/斜杠"}, "lot_code"),
    ({"harvested_on": "1999-12-31"}, "harvested_on"),
    ({"harvested_on": "2099-01-01"}, "harvested_on"),
    ({"certifications": '"绿色食品"'}, "certifications"),
])
def test_a_bad_lot_in_the_admin_is_a_form_error_not_a_500(staff, listing, change, field):
    response = staff.post("/admin/producers/batch/add/", {
        "listing": listing.pk, "lot_code": "ADMIN-1", "harvested_on": "2026-10-02",
        "quantity": "10", "notes": "", "certifications": "[]", **change,
    })
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Batch.objects.exists()


def test_a_lot_for_an_archived_listing_in_the_admin_is_a_form_error(staff, listing):
    services.listing_archive(listing=listing)
    response = staff.post("/admin/producers/batch/add/", {
        "listing": listing.pk, "lot_code": "ADMIN-1", "harvested_on": "2026-10-02",
        "quantity": "10", "notes": "", "certifications": "[]",
    })
    assert response.status_code == 200
    assert "listing" in response.context["adminform"].form.errors


def test_staff_add_a_village_under_a_township(staff, regions):
    response = staff.post("/admin/producers/region/add/", {
        "parent": regions["town"].pk, "code": regions["town"].code[:9] + "999", "name": "新村"})
    assert response.status_code == 302, response.content.decode()[:2000]
    village = Region.objects.get(name="新村")
    assert village.level == "village" and village.lineage.startswith(regions["town"].lineage)


@pytest.mark.parametrize(("change", "field"), [
    ({"code": "123"}, "code"),
    ({"code": "999999999999"}, "code"),  # not under its parent
    ({"parent": ""}, "parent"),
])
def test_a_bad_region_in_the_admin_is_a_form_error_not_a_500(staff, regions, change, field):
    before = Region.objects.count()
    response = staff.post("/admin/producers/region/add/", {
        "parent": regions["town"].pk, "code": regions["town"].code[:9] + "998", "name": "新村",
        **change,
    })
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Region.objects.count() == before


def test_an_existing_region_cannot_be_moved_in_the_admin(staff, regions):
    village = regions["village"]
    staff.post(f"/admin/producers/region/{village.pk}/change/", {
        "parent": regions["xihu"].pk, "code": "330106000000", "name": "别处"})
    village.refresh_from_db()
    assert (village.code, village.parent_id, village.name) == (
        "411627100201", regions["town"].pk, "二郎庙村")


def test_staff_add_a_sub_category_that_the_category_filter_finds(
    staff, producer, api, categories
):
    fruit = Category.objects.get(slug="fruit")
    response = staff.post("/admin/producers/category/add/", {
        "parent": fruit.pk, "slug": "persimmons", "name": "柿子", "position": "50"})
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = make_listing(producer=producer, title="富平柿饼", category="persimmons")
    assert [i["id"] for i in api.get("/listings", {"category": "fruit"}).json()["items"]] == [
        listing.pk]


def test_an_existing_categorys_slug_and_parent_stay_put_in_the_admin(staff, categories):
    apples = Category.objects.get(slug="apples")
    response = staff.post(f"/admin/producers/category/{apples.pk}/change/", {
        "parent": "", "slug": "fuji", "name": "苹果类", "position": "3"})
    assert response.status_code == 302, response.content.decode()[:2000]
    apples.refresh_from_db()
    assert (apples.slug, apples.lineage, apples.name) == ("apples", "/fruit/apples/", "苹果类")
