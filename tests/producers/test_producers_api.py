import pytest

from producers import services
from producers.models import Producer
from tests.concurrency import run_concurrently
from tests.factories import make_producer, make_user

pytestmark = pytest.mark.django_db


def producer_body(regions, **extra):
    return {"name": "二郎庙村红薯合作社", "kind": "cooperative",
            "region_id": regions["village"].pk, "story": "村里三十户一起种红薯。", **extra}


# --- POST /producers ----------------------------------------------------------------------------

def test_anonymous_cannot_create_a_producer(api, regions):
    response = api.post("/producers", producer_body(regions))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_buyer_creates_a_producer_profile_and_becomes_a_producer(buyer_api, buyer, regions):
    response = buyer_api.post("/producers", producer_body(regions, phone="13800000000"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "二郎庙村红薯合作社"
    assert body["kind"] == "cooperative"
    assert body["phone"] == "13800000000"
    assert body["region"]["path"] == "河南省 / 周口市 / 太康县 / 城关回族镇 / 二郎庙村"
    assert buyer_api.get("/me").json()["producer_id"] == body["id"]


def test_a_second_producer_profile_for_one_account_is_409(producer, owner_api, regions):
    response = owner_api.post("/producers", producer_body(regions))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "producer_exists"
    assert Producer.objects.filter(user=producer.user).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region_id": 999999}, "region_id"),
        ({"kind": "factory"}, "kind"),
        ({"name": ""}, "name"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_bad_producer_fields_are_422_with_the_field(buyer_api, regions, change, field):
    response = buyer_api.post("/producers", producer_body(regions, **change))
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_a_missing_name_is_422(buyer_api, regions):
    body = producer_body(regions)
    del body["name"]
    response = buyer_api.post("/producers", body)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "name"


# --- PATCH /producers/{id}: anonymous / buyer / another producer / owner -------------------------

def test_patch_producer_anonymous_is_401(api, producer):
    assert api.patch(f"/producers/{producer.pk}", {"story": "x"}).status_code == 401


def test_patch_producer_by_a_buyer_is_404(buyer_api, producer):
    response = buyer_api.patch(f"/producers/{producer.pk}", {"story": "x"})
    assert response.status_code == 404
    producer.refresh_from_db()
    assert producer.story != "x"


def test_patch_producer_by_another_producer_is_404(other_api, producer):
    assert other_api.patch(f"/producers/{producer.pk}", {"story": "x"}).status_code == 404


def test_patch_producer_by_the_owner_changes_only_what_was_sent(owner_api, producer):
    response = owner_api.patch(f"/producers/{producer.pk}", {"story": "新故事"})
    assert response.status_code == 200, response.content
    assert response.json()["story"] == "新故事"
    assert response.json()["name"] == "李家果园"


def test_renaming_a_producer_updates_the_search_of_its_listings(owner_api, producer, listing,
                                                                api):
    assert api.get("/listings", {"q": "zhangjia"}).json()["items"] == []
    owner_api.patch(f"/producers/{producer.pk}", {"name": "张家农场"})
    found = api.get("/listings", {"q": "zhangjia"}).json()["items"]
    assert [item["id"] for item in found] == [listing.pk]
    assert api.get("/listings", {"q": "张家"}).json()["items"][0]["id"] == listing.pk


def test_moving_a_producer_moves_its_listings_without_an_origin(owner_api, producer, listing,
                                                                regions, api):
    owner_api.patch(f"/producers/{producer.pk}", {"region_id": regions["xihu"].pk})
    listing.refresh_from_db()
    assert listing.region_lineage == regions["xihu"].lineage
    ids = [i["id"] for i in api.get("/listings", {"region": regions["zhejiang"].pk}).json()
           ["items"]]
    assert ids == [listing.pk]


def test_a_producer_cannot_null_its_name(owner_api, producer):
    response = owner_api.patch(f"/producers/{producer.pk}", {"name": None})
    assert response.status_code == 422


# --- GET /producers -----------------------------------------------------------------------------

def test_producers_filter_by_region_subtree_kind_and_q(api, regions):
    li = make_producer(name="李家果园", region=regions["village"])
    coop = make_producer(name="太康红薯合作社", kind="cooperative", region=regions["taikang"])
    tea = make_producer(name="龙井茶园", region=regions["xihu"])

    def ids(**params):
        response = api.get("/producers", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [li.pk, coop.pk, tea.pk]
    assert ids(region=regions["henan"].pk) == [li.pk, coop.pk]
    assert ids(region=regions["town"].pk) == [li.pk]
    assert ids(kind="cooperative") == [coop.pk]
    assert ids(q="longjing") == [tea.pk]
    assert ids(q="红薯") == [coop.pk]
    assert ids(q="HongShu") == [coop.pk]
    assert ids(region=regions["henan"].pk, kind="farmer") == [li.pk]


def test_producers_unknown_region_or_kind_is_422(api, regions):
    assert api.get("/producers", {"region": 999999}).status_code == 422
    assert api.get("/producers", {"kind": "factory"}).status_code == 422


def test_public_producer_has_no_phone(api, producer):
    body = api.get(f"/producers/{producer.pk}").json()
    assert body["name"] == "李家果园" and "phone" not in body
    assert api.get("/producers/999999").status_code == 404


def test_producer_list_pages_without_repeats(api):
    made = [make_producer(name=f"农户{i}").pk for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = api.get("/producers", params).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == made


def test_producer_detail_etag_304(api, producer):
    first = api.get(f"/producers/{producer.pk}")
    assert first.status_code == 200 and first["ETag"]
    again = api.get(f"/producers/{producer.pk}", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize("rows", [1, 20])
def test_producer_list_costs_the_same_queries_for_1_and_20_rows(
    api, django_assert_num_queries, rows
):
    for i in range(rows):
        make_producer(name=f"农户{i}")
    with django_assert_num_queries(1):
        body = api.get("/producers", {"limit": 50}).json()
    assert len(body["items"]) == rows


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_profile_requests_make_one_producer(regions):
    user = make_user(username="racer")

    def create():
        return services.producer_create(user=user, name="赛跑农场", kind="farmer",
                                        region_id=regions["village"].pk)

    outcomes = ["created" if isinstance(result, Producer) else getattr(result, "code", result)
                for result in run_concurrently(*[create] * 4)]
    assert sorted(outcomes) == ["created"] + ["producer_exists"] * 3
    assert Producer.objects.filter(user=user).count() == 1
