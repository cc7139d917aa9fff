"""A lot's certificates through the API: the farm's own 承诺达标合格证 and its label, the
documents staff verify, claims of 绿色食品/有机/地理标志 only with one, where they show (trace
JSON and page, /l/{id}, cards, `certified=`) and their expiry by the periodic task."""

import io
from datetime import date, timedelta

import pytest
import time_machine
import zxingcpp
from django.conf import settings
from django.utils import timezone
from PIL import Image

from certificates.models import Certificate
from certificates.texts import COMMITMENT
from notify.models import Notification
from shanhuo.celery import app
from tests.certificates.conftest import decide, pdf, photo, text_file
from tests.factories import make_batch, make_listing, make_member, make_producer

TODAY = date.today


def add(api, batch_id: int, **fields):
    return api.upload(f"/batches/{batch_id}/certificates",
                      {k: v for k, v in fields.items() if v is not None})


def green(api, batch_id: int, **fields):
    today = timezone.localdate()
    body = {"kind": "green", "number": "LB-18-23010410880", "issuer": "中国绿色食品发展中心",
            "issued_on": str(today - timedelta(days=30)),
            "expires_on": str(today + timedelta(days=365 * 3)), "file": pdf(), **fields}
    return add(api, batch_id, **body)


def expire_due():
    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["expire-verifications-and-certificates"]
    return app.tasks[entry["task"]].apply().get()


# --- 承诺达标合格证 -----------------------------------------------------------------------------

def test_the_farm_issues_its_chengnuo_hege_with_fields_from_the_lot(owner_api, batch, producer):
    response = add(owner_api, batch.pk, kind="chengnuo_hege", basis="own_test")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "self_declared" and body["kind"] == "chengnuo_hege"
    assert body["issued_on"] == str(timezone.localdate())
    assert body["chengnuo"] == {
        "product": "红富士苹果", "quantity": "500 斤",
        "origin_region": producer.region.path, "committed_by": "李家果园",
        "contact": producer.phone, "basis": "own_test", "commitment": COMMITMENT,
        "sources": []}
    assert body["url"] == (f"{settings.SITE_URL}/batches/{batch.pk}/certificates/"
                           f"{body['id']}.png")


def test_its_label_is_a_60_by_40_mm_png_whose_qr_opens_the_trace_page(owner_api, batch, api):
    body = add(owner_api, batch.pk, kind="chengnuo_hege", basis="self_control",
               contact="13800001234").json()
    response = api.get(body["url"].removeprefix(settings.SITE_URL))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (709, 472)  # 60 x 40 mm at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert decoded == [f"{settings.SITE_URL}/trace/{batch.trace_code}"]
    # the words 承诺达标合格证 across the top: ink there (a font with Chinese glyphs draws them)
    assert image.convert("L").crop((0, 0, 709, 76)).getextrema()[0] < 128
    path = "/" + decoded[0].split("/", 3)[3]
    assert api.get(path).status_code == 200


def test_a_label_of_another_lot_or_kind_is_404(owner_api, batch, listing, api):
    cid = add(owner_api, batch.pk, kind="chengnuo_hege", basis="self_control").json()["id"]
    other = make_batch(listing=listing)
    assert api.get(f"/batches/{other.pk}/certificates/{cid}.png").status_code == 404
    gid = green(owner_api, batch.pk).json()["id"]
    assert api.get(f"/batches/{batch.pk}/certificates/{gid}.png").status_code == 404


def test_a_cooperatives_lot_made_of_members_lots_lists_them(regions):
    from tests.factories import client_for

    coop = make_producer(kind="cooperative", name="二郎庙果蔬合作社")
    listing = make_listing(producer=coop)
    zhang, wang = make_member(producer=coop, name="张大姐"), make_member(producer=coop,
                                                                       name="王二叔")
    lots = [make_batch(listing=listing, member_id=m.pk) for m in (zhang, wang)]
    mixed = make_batch(listing=listing, lot_code="MIX-1")
    api = client_for(coop.user)
    response = api.upload(f"/batches/{mixed.pk}/certificates", {
        "kind": "chengnuo_hege", "basis": "commissioned_test",
        "source_batch_ids": [lot.pk for lot in lots]})
    assert response.status_code == 201, response.content
    sources = response.json()["chengnuo"]["sources"]
    assert [(s["member"], s["trace_code"]) for s in sources] == [
        ("张大姐", lots[0].trace_code), ("王二叔", lots[1].trace_code)]
    page = api.get(f"/trace/{mixed.trace_code}").content.decode()
    assert "由社员批次组成" in page and "张大姐" in page and "王二叔" in page


def test_a_farmer_names_no_member_lots_and_basis_is_required(owner_api, batch, listing):
    other = make_batch(listing=listing)
    response = add(owner_api, batch.pk, kind="chengnuo_hege", basis="own_test",
                   source_batch_ids=[other.pk])
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "source_batch_ids"
    response = add(owner_api, batch.pk, kind="chengnuo_hege")
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["basis"]


# --- Bad input ---------------------------------------------------------------------------------

def test_a_certificate_on_someone_elses_lot_is_404(other_api, batch):
    response = add(other_api, batch.pk, kind="chengnuo_hege", basis="own_test")
    assert response.status_code == 404
    assert green(other_api, batch.pk).status_code == 404
    assert other_api.get(f"/batches/{batch.pk}/certificates").status_code == 404
    assert not Certificate.objects.exists()


def test_expires_before_issued_is_422_naming_the_field(owner_api, batch):
    response = green(owner_api, batch.pk, issued_on="2026-03-01", expires_on="2026-02-01")
    assert response.status_code == 422, response.content
    assert [(d["field"], d["code"]) for d in response.json()["error"]["details"]] == [
        ("expires_on", "out_of_range")]


def test_a_file_that_is_not_a_pdf_or_an_image_is_415(owner_api, batch):
    response = green(owner_api, batch.pk, file=text_file("cert.jpg"))
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_file"
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("fields, field", [
    ({"number": ""}, "number"), ({"issuer": ""}, "issuer"), ({"file": None}, "file"),
    ({"expires_on": None}, "expires_on"), ({"issued_on": "2099-01-01"}, "issued_on"),
])
def test_a_document_without_what_staff_check_is_422(owner_api, batch, fields, field):
    response = green(owner_api, batch.pk, **fields)
    assert response.status_code == 422, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]


# --- Claims backed by documents, where they show ------------------------------------------------

def test_green_shows_only_once_staff_verified_its_certificate(owner_api, batch, listing, api,
                                                              staff, producer):
    # before: the farm's own words 绿色食品 and 有机 are not shown, 自然成熟 is
    trace = api.get(f"/api/v1/trace/{batch.trace_code}").json()
    assert trace["batch"]["certifications"] == ["自然成熟"] and trace["certificates"] == []
    assert api.get("/listings", {"certified": "green"}).json()["items"] == []
    # a document uploaded: pending, still not shown
    response = green(owner_api, batch.pk, file=photo())
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert response.json()["url"] is None
    assert api.get(f"/api/v1/trace/{batch.trace_code}").json()["certificates"] == []
    # staff verify it
    decide(staff, "certificate", response.json()["id"], "verify")
    trace = api.get(f"/api/v1/trace/{batch.trace_code}").json()
    assert [(c["kind"], c["number"], c["issuer"], c["status"]) for c in trace["certificates"]] \
        == [("green", "LB-18-23010410880", "中国绿色食品发展中心", "verified")]
    assert trace["batch"]["certifications"] == ["绿色食品", "自然成熟"]  # 有机: still no
    card = api.get("/listings", {"certified": "green"}).json()["items"]
    assert [(c["id"], c["certified"]) for c in card] == [(listing.pk, ["green"])]
    assert api.get("/listings", {"certified": "organic"}).json()["items"] == []
    assert api.get(f"/listings/{listing.pk}").json()["certified"] == ["green"]
    page = api.get(f"/trace/{batch.trace_code}").content.decode()
    assert "绿色食品" in page and "LB-18-23010410880" in page and "中国绿色食品发展中心" in page
    page = api.get(f"/l/{listing.pk}").content.decode()
    assert "LB-18-23010410880" in page and "中国绿色食品发展中心" in page
    assert Notification.objects.filter(user=producer.user, event="certificate_result").exists()


def test_a_rejected_document_never_shows(owner_api, batch, api, staff):
    cid = green(owner_api, batch.pk).json()["id"]
    decide(staff, "certificate", cid, "reject", "证书编号查询不到")
    mine = owner_api.get(f"/batches/{batch.pk}/certificates").json()["items"]
    assert [(c["id"], c["status"]) for c in mine] == [(cid, "rejected")]
    assert api.get(f"/api/v1/trace/{batch.trace_code}").json()["certificates"] == []


def test_a_farm_wide_certificate_backs_every_lot(owner_api, batch, listing, api, staff):
    response = owner_api.upload("/producers/me/certificates", {
        "kind": "gi", "number": "AGI01234", "issuer": "农业农村部", "issued_on": "2020-05-01",
        "file": pdf()})
    assert response.status_code == 201 and response.json()["batch_id"] is None
    decide(staff, "certificate", response.json()["id"], "verify")
    assert api.get("/listings", {"certified": "gi"}).json()["items"][0]["id"] == listing.pk
    other_lot = make_batch(listing=listing)
    shown = api.get(f"/api/v1/trace/{other_lot.trace_code}").json()["certificates"]
    assert [c["kind"] for c in shown] == ["gi"]
    assert owner_api.upload("/producers/me/certificates", {
        "kind": "chengnuo_hege", "basis": "own_test"}).status_code == 422


def test_an_expired_certificate_stops_showing_by_the_periodic_task(owner_api, batch, listing,
                                                                   api, staff):
    today = timezone.localdate()
    cid = green(owner_api, batch.pk, expires_on=str(today + timedelta(days=10))).json()["id"]
    decide(staff, "certificate", cid, "verify")
    assert api.get("/listings", {"certified": "green"}).json()["items"]

    with time_machine.travel(today + timedelta(days=11), tick=False):
        # past its date it is not shown even before the task runs (the catalog's filter
        # compares with the database's own clock, which no test moves)
        assert api.get(f"/api/v1/trace/{batch.trace_code}").json()["certificates"] == []
        assert api.get("/listings").json()["items"][0]["certified"] == []
        assert expire_due()["certificates"] == 1
        assert expire_due()["certificates"] == 0
        assert api.get("/listings", {"certified": "green"}).json()["items"] == []
    assert Certificate.objects.get(pk=cid).status == "expired"


def test_the_trace_page_names_the_sellers_verification(owner_api, batch, api, staff):
    from certificates.models import SellerVerification

    page = api.get(f"/trace/{batch.trace_code}").content.decode()
    assert "商家资质：未核验" in page
    owner_api.upload("/producers/me/verification", {
        "kind": "individual_farmer", "name": "李大山", "id_number": "440524198001010013"})
    decide(staff, "sellerverification", SellerVerification.objects.get().pk, "verify")
    page = api.get(f"/trace/{batch.trace_code}").content.decode()
    assert "已核验 · 个人销售自产农副产品，依法无需登记" in page
    trace = api.get(f"/api/v1/trace/{batch.trace_code}").json()
    assert trace["producer"]["verification"]["status"] == "verified"


@pytest.mark.parametrize("rows", [1, 20])
def test_cards_with_certificates_cost_one_query(api, producer, staff, rows,
                                                django_assert_num_queries):
    from tests.factories import client_for

    owner = client_for(producer.user)
    for n in range(rows):
        lot = make_batch(listing=make_listing(producer=producer, title=f"苹果{n}"))
        decide(staff, "certificate", green(owner, lot.pk).json()["id"], "verify")
    with django_assert_num_queries(1):
        body = api.get("/listings", {"limit": 20, "certified": "green"}).json()
    assert len(body["items"]) == rows and all(c["certified"] == ["green"]
                                              for c in body["items"])
