"""A small marketplace built through the HTTP API, as the apps' clients build it.

Six actors: anonymous, a buyer, another producer, the owner (a producer), a promoter and staff.
The owner has a listing open to promotion, a harvest lot, an origin video linked to the lot and
an order (placed by the buyer) with a parcel (shipment), and a second one delivered with the
buyer's claim on it; the promoter has a promo video linked
to the owner's listing; the other producer has a listing of their own.
"""

from dataclasses import dataclass, field

import pytest

from accounts.models import User
from tests.factories import client_for, make_project, make_user, resident_id

ACTORS = ("anonymous", "buyer", "other_producer", "owner", "promoter", "staff")


@dataclass
class World:
    users: dict[str, User | None]
    tokens: dict[str, str | None]
    ids: dict[str, int | str] = field(default_factory=dict)

    @property
    def owner(self) -> User:
        return self.users["owner"]


def _ok(response, status: int = 201) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()


@pytest.fixture
def site_world(regions, categories, django_capture_on_commit_callbacks) -> World:
    users = {
        "anonymous": None,
        "buyer": make_user(username="site_buyer"),
        "other_producer": make_user(username="site_other"),
        "owner": make_user(username="site_owner"),
        "promoter": make_user(username="site_promoter"),
        "staff": make_user(username="site_staff", is_staff=True, is_superuser=True),
    }
    clients = {name: client_for(user) for name, user in users.items() if user}
    tokens = {name: (c.token if c else None) for name, c in
              {"anonymous": None, **clients}.items()}
    world = World(users, tokens)
    ids = world.ids
    county = regions["taikang"]

    owner, other = clients["owner"], clients["other_producer"]
    ids["producer_id"] = _ok(owner.post("/producers", {
        "name": "太康县老王家果园", "kind": "farmer", "region_id": county.pk,
        "story": "三代人种苹果。"}))["id"]
    ids["other_producer_id"] = _ok(other.post("/producers", {
        "name": "西湖区龙井茶园", "kind": "cooperative", "region_id": regions["xihu"].pk}))["id"]
    listing = {"title": "红富士苹果 5斤装", "description": "脆甜多汁", "category": "apples",
               "unit": "box", "price": "39.90", "stock": 100, "commission_rate": "0.10",
               "status": "active"}
    ids["listing_id"] = _ok(owner.post("/listings", listing))["id"]
    ids["draft_listing_id"] = _ok(owner.post("/listings", {
        **listing, "title": "冰糖心苹果 试卖", "status": "draft"}))["id"]
    ids["other_listing_id"] = _ok(other.post("/listings", {
        **listing, "title": "明前龙井 250g", "category": "green-tea"}))["id"]
    # the other producer is a cooperative: it keeps a member
    ids["other_member_id"] = _ok(other.post("/producers/me/members", {
        "name": "王秀英", "phone": "13700000000"}))["id"]
    # the owner's freight template, by piece (no listing names it)
    ids["template_name"] = _ok(owner.put("/producers/me/freight-templates/江浙沪", {
        "basis": "piece", "rules": [{"regions": [county.pk], "first": {"units": 1, "fee": "6"},
                                     "next": {"units": 1, "fee": "1"}}],
        "default_rule": {"first": {"units": 1, "fee": "10"}, "next": {"units": 1, "fee": "2"}},
    }))["name"]
    batch = _ok(owner.post(f"/listings/{ids['listing_id']}/batches", {
        "harvested_on": "2026-10-08", "quantity": 500, "certifications": ["绿色食品"]}))
    ids["batch_id"], ids["trace_code"] = batch["id"], batch["trace_code"]

    video = owner.post("/videos", {"url": "https://www.bilibili.com/video/BV1xx411c7mD"})
    ids["video_id"] = _ok(video)["id"]
    link = _ok(owner.post(f"/videos/{ids['video_id']}/links", {"batch_id": ids["batch_id"]}))
    ids["link_id"], ids["link_code"] = link["id"], link["code"]

    promoter = clients["promoter"]
    _ok(promoter.post("/promoters", {"display_name": "山货小王"}))
    promo = _ok(promoter.post("/videos", {"url": "https://www.douyin.com/video/7301234567890123456"}))
    ids["promo_video_id"] = promo["id"]
    promo_link = _ok(promoter.post(f"/videos/{promo['id']}/links",
                                   {"listing_id": ids["listing_id"]}))
    ids["promo_link_code"] = promo_link["code"]

    order = _ok(clients["buyer"].post("/orders", {
        "lines": [{"listing_id": ids["listing_id"], "quantity": 2}],
        "shipping_address": {"recipient": "张三", "phone": "13800000000",
                             "region_id": county.pk, "detail": "城关镇幸福路 8 号"},
        "promo_code": ids["promo_link_code"],
    }))
    ids["order_id"] = order["id"]
    ids["shipment_id"] = order["shipments"][0]["id"]
    _ok(clients["buyer"].post(f"/orders/{order['id']}/pay", {"method": "sandbox"}), 200)
    ids["line_id"] = order["lines"][0]["id"]
    # a second order, delivered, with the buyer's claim on its parcel
    claimed = _ok(clients["buyer"].post("/orders", {
        "lines": [{"listing_id": ids["listing_id"], "quantity": 1}],
        "shipping_address": {"recipient": "张三", "phone": "13800000000",
                             "region_id": county.pk, "detail": "城关镇幸福路 8 号"}}))
    _ok(clients["buyer"].post(f"/orders/{claimed['id']}/pay", {"method": "sandbox"}), 200)
    claimed_shipment = claimed["shipments"][0]["id"]
    _ok(owner.post(f"/shipments/{claimed_shipment}/ship",
                   {"carrier": "顺丰", "tracking_number": "SF1234567890124"}), 200)
    _ok(clients["buyer"].post(f"/shipments/{claimed_shipment}/confirm"), 200)
    ids["claimed_line_id"] = claimed["lines"][0]["id"]
    ids["claim_id"] = _ok(clients["buyer"].post(f"/orders/{claimed['id']}/claims", {
        "shipment_id": claimed_shipment, "kind": "damaged",
        "lines": [{"line_id": ids["claimed_line_id"], "quantity": 1, "damage_pct": 30}]}))["id"]
    ids["region_id"] = county.pk
    ids["owner_contact_id"] = _ok(owner.post("/me/contacts", {
        "channel": "email", "address": "owner@example.com"}))["id"]
    ids["provider"] = "sandbox"
    ids["project_id"] = make_project().pk  # staff register charities and projects in the admin

    # the owner's sales report, built (as a worker builds it, after the commit)
    with django_capture_on_commit_callbacks(execute=True):
        report = _ok(owner.post("/reports", {"kind": "sales", "format": "csv",
                                             "period_start": "2026-01-01",
                                             "period_end": "2026-12-31"}), 202)
    ids["report_id"] = report["id"]
    report = _ok(owner.get(f"/reports/{report['id']}"), 200)
    ids["report_token"] = report["download_url"].split("token=", 1)[1]

    # the owner asked to be verified, and issued its lot's 承诺达标合格证
    _ok(owner.upload("/producers/me/verification", {
        "kind": "individual_farmer", "name": "李大山", "id_number": resident_id(seed=1)}))
    ids["chengnuo_id"] = _ok(owner.upload(f"/batches/{ids['batch_id']}/certificates", {
        "kind": "chengnuo_hege", "basis": "self_control"}))["id"]
    return world
