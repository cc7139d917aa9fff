"""GET /listings: every filter, search in Chinese and pinyin, keyset paging under every
ordering, constant query count, ETags."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from producers.models import Listing
from tests.factories import make_batch, make_link, make_listing, make_user, make_video

pytestmark = pytest.mark.django_db


def ids(api, **params):
    response = api.get("/listings", params)
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


@pytest.fixture
def shop(producer, other_producer, regions):
    """李家果园 (二郎庙村, 太康县, 河南) and 王家茶园 (西湖区, 浙江)."""
    return {
        "apples": make_listing(producer=producer, title="红富士苹果", category="apples",
                               price="12.50", stock=10, commission_rate=Decimal("0.10")),
        "pears": make_listing(producer=producer, title="砀山酥梨", category="pears", price="6.00",
                              stock=0, origin_region_id=regions["xihu"].pk),
        "flour": make_listing(producer=producer, title="石磨面粉", category="flour", price="30.00",
                              stock=5, description="太康小麦，石磨慢磨"),
        "tea": make_listing(producer=other_producer, title="明前龙井", category="green-tea",
                            price="268.00", stock=3, story="狮峰山下的老茶树",
                            commission_rate=Decimal("0.20")),
        "draft": make_listing(producer=other_producer, title="红茶", category="black-tea",
                              price="50.00", status="draft"),
    }


def test_only_active_listings_are_listed(api, shop):
    assert ids(api) == {shop[k].pk for k in ("apples", "pears", "flour", "tea")}


def test_filter_region_with_everything_under_it(api, shop, regions):
    assert ids(api, region=regions["henan"].pk) == {shop["apples"].pk, shop["flour"].pk}
    assert ids(api, region=regions["village"].pk) == {shop["apples"].pk, shop["flour"].pk}
    # the pears come from 西湖区 (their origin), whatever the producer's region
    assert ids(api, region=regions["zhejiang"].pk) == {shop["pears"].pk, shop["tea"].pk}
    assert ids(api, region=regions["hangzhou"].pk) == {shop["pears"].pk, shop["tea"].pk}


def test_filter_category_with_sub_categories(api, shop):
    assert ids(api, category="fruit") == {shop["apples"].pk, shop["pears"].pk}
    assert ids(api, category="apples") == {shop["apples"].pk}
    assert ids(api, category="tea") == {shop["tea"].pk}
    assert ids(api, category="grain-and-oil") == {shop["flour"].pk}
    assert ids(api, category="honey") == set()


def test_filter_producer(api, shop, other_producer):
    assert ids(api, producer=other_producer.pk) == {shop["tea"].pk}


def test_filter_price_range(api, shop):
    assert ids(api, min_price="12.50") == {shop["apples"].pk, shop["flour"].pk, shop["tea"].pk}
    assert ids(api, max_price="12.50") == {shop["apples"].pk, shop["pears"].pk}
    assert ids(api, min_price="7", max_price="31") == {shop["apples"].pk, shop["flour"].pk}


def test_filter_in_stock(api, shop):
    assert shop["pears"].pk not in ids(api, in_stock="true")
    assert ids(api, in_stock="true") == {shop["apples"].pk, shop["flour"].pk, shop["tea"].pk}
    assert ids(api, in_stock="false") == {shop["pears"].pk}


def test_filter_promotable(api, shop):
    assert ids(api, promotable="true") == {shop["apples"].pk, shop["tea"].pk}
    assert ids(api, promotable="false") == {shop["pears"].pk, shop["flour"].pk}


def test_filters_combine(api, shop, regions):
    assert ids(api, region=regions["henan"].pk, in_stock="true", promotable="true") == {
        shop["apples"].pk}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("苹果", {"apples"}),
        ("pingguo", {"apples"}),
        ("PingGuo", {"apples"}),
        ("ping guo", {"apples"}),
        ("hfspg", {"apples"}),
        ("龙井", {"tea"}),
        ("longjing", {"tea"}),
        ("狮峰", {"tea"}),  # story
        ("shimo", {"flour"}),  # description: 石磨
        ("李家", {"apples", "pears", "flour"}),  # producer name
        ("lijiaguoyuan", {"apples", "pears", "flour"}),
        ("wangjia longjing", {"tea"}),
        ("榴莲", set()),
    ],
)
def test_q_finds_chinese_text_and_pinyin(api, shop, q, expected):
    assert ids(api, q=q) == {shop[k].pk for k in expected}


def test_pinyin_runs_on_over_punctuation_in_the_text(api, producer):
    listing = make_listing(producer=producer, title="洛川苹果（特级）·5kg装")
    assert ids(api, q="luochuanpingguoteji5kg") == {listing.pk}
    assert ids(api, q="lcpgtj") == {listing.pk}
    assert ids(api, q="特级") == {listing.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region": 999999}, "region"),
        ({"region": "henan"}, "region"),
        ({"category": "spaceships"}, "category"),
        ({"min_price": "cheap"}, "min_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "10", "max_price": "5"}, "max_price"),
        ({"in_stock": "perhaps"}, "in_stock"),
        ({"ordering": "title"}, "ordering"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
    ],
)
def test_invalid_filters_are_422_with_the_field(api, shop, params, field):
    response = api.get("/listings", params)
    assert response.status_code == 422, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_a_bad_cursor_is_400(api, shop):
    response = api.get("/listings", {"cursor": "forged"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_cursor_of_another_ordering_is_400(api, shop):
    cursor = api.get("/listings", {"limit": 1, "ordering": "price"}).json()["next_cursor"]
    response = api.get("/listings", {"limit": 1, "ordering": "-price", "cursor": cursor})
    assert response.status_code == 400


def test_every_catalog_parameter_is_in_the_openapi_document(api):
    schema = api.get("/openapi.json").json()
    parameters = {p["name"] for p in schema["paths"]["/api/v1/listings"]["get"]["parameters"]}
    assert {"region", "category", "producer", "min_price", "max_price", "in_stock",
            "promotable", "q", "ordering", "limit", "cursor"} <= parameters


# --- Paging: no repeat, no gap, under every ordering (ties included) ----------------------------

@pytest.fixture
def many(producer):
    """23 listings with many ties on price, sales and creation time."""
    listings = []
    created = timezone.now() - timedelta(days=1)
    for i in range(23):
        listing = make_listing(producer=producer, title=f"苹果{i}",
                               price=["5.00", "8.80", "12.50"][i % 3], stock=i)
        listings.append(listing)
    Listing.objects.filter(pk__in=[x.pk for x in listings[:10]]).update(created_at=created)
    for i, listing in enumerate(listings):
        Listing.objects.filter(pk=listing.pk).update(sales=i % 4)
    return listings


def walk(api, ordering, limit):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"ordering": ordering, "limit": limit} | ({"cursor": cursor} if cursor else {})
        body = api.get("/listings", params).json()
        seen += [(item["id"], item["price"], item["sales"], item["created_at"])
                 for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return seen, pages


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("price", lambda x: (x.price, x.pk)),
        ("-price", lambda x: (-x.price, -x.pk)),
        ("-created", lambda x: (-x.created_at.timestamp(), -x.pk)),
        ("-sales", lambda x: (-x.sales, -x.pk)),
    ],
)
@pytest.mark.parametrize("limit", [1, 4, 7])
def test_paging_through_every_ordering_never_repeats_or_skips(api, many, ordering, key, limit):
    expected = [x.pk for x in sorted(Listing.objects.all(), key=key)]
    seen, pages = walk(api, ordering, limit)
    assert [row[0] for row in seen] == expected
    assert pages == -(-len(expected) // limit)


def test_default_ordering_is_newest_first(api, producer):
    first = make_listing(producer=producer, title="一")
    second = make_listing(producer=producer, title="二")
    assert [i["id"] for i in api.get("/listings").json()["items"]] == [second.pk, first.pk]


# --- Query count and caching ---------------------------------------------------------------------

def _populate(producer, rows):
    from producers.models import ListingImage

    for i in range(rows):
        listing = make_listing(producer=producer, title=f"苹果{i}")
        ListingImage.objects.create(listing=listing, original=f"listings/x{i}.jpg")
        ListingImage.objects.create(listing=listing, original=f"listings/y{i}.jpg",
                                    small=f"listings/thumbs/y{i}.webp", width=1200, height=900,
                                    status=ListingImage.Status.READY, position=1)
        make_batch(listing=listing)
        video = make_video(owner=producer.user, kind="origin", external_id=f"BV{i}")
        make_link(video=video, listing=listing)


@pytest.mark.parametrize("rows", [1, 20])
def test_catalog_costs_the_same_queries_for_1_and_20_rows(
    api, producer, django_assert_num_queries, rows
):
    _populate(producer, rows)
    # one: the listings with producer, region, category, video count and cover (as JSON)
    with django_assert_num_queries(1):
        body = api.get("/listings", {"limit": 20}).json()
    assert len(body["items"]) == rows
    item = body["items"][0]
    assert item["cover"]["url"].endswith(f"/listings/thumbs/y{rows - 1}.webp")
    assert item["video_count"] == 1
    # the card leaves every photo, the long texts and the lots to GET /listings/{id}
    assert not {"images", "batches", "description", "story", "growing_method"} & set(item)


@pytest.mark.parametrize("rows", [1, 20])
def test_filtered_catalog_query_count_does_not_grow_either(
    api, producer, regions, django_assert_num_queries, rows
):
    _populate(producer, rows)
    # + one lookup each for the region and the category named in the filters, the first time
    # (then kept for a minute: storefront.lineages)
    with django_assert_num_queries(3):
        body = api.get("/listings", {"region": regions["henan"].pk, "category": "fruit",
                                     "q": "pingguo", "limit": 20}).json()
    assert len(body["items"]) == rows
    with django_assert_num_queries(1):
        api.get("/listings", {"region": regions["henan"].pk, "category": "fruit",
                              "q": "pingguo", "limit": 20})


def test_a_card_shows_the_first_ready_photo_as_its_small_thumbnail(api, producer, listing,
                                                                   settings):
    from producers.models import ListingImage

    def photo(name, **fields):
        return ListingImage.objects.create(listing=listing, original=f"listings/{name}.jpg",
                                           **fields)

    def card():
        [item] = api.get("/listings").json()["items"]
        return item

    assert card()["cover"] is None  # no photo yet
    photo("a", position=0)  # still being processed: no thumbnail to show
    photo("b", position=1, status=ListingImage.Status.FAILED)
    assert card()["cover"] is None
    photo("d", position=3, status=ListingImage.Status.READY, small="listings/thumbs/d.webp",
          medium="listings/thumbs/d-m.webp", width=800, height=600)
    photo("c", position=2, status=ListingImage.Status.READY, small="listings/thumbs/c.webp",
          medium="listings/thumbs/c-m.webp", width=1200, height=1600)
    assert card()["cover"] == {"url": f"{settings.SITE_URL}/media/listings/thumbs/c.webp",
                               "width": 1200, "height": 1600}
    detail = api.get(f"/listings/{listing.pk}").json()
    assert detail["cover"] == card()["cover"]  # the detail is a card and more
    assert [i["original_url"].rsplit("/", 1)[1] for i in detail["images"]] == [
        "a.jpg", "b.jpg", "c.jpg", "d.jpg"]


def test_video_count_counts_distinct_live_videos_of_the_listing_and_its_lots(
    api, producer, listing
):
    batch = make_batch(listing=listing)

    def video(n, status="ready"):
        return make_video(owner=producer.user, kind="origin", platform="douyin",
                          external_id=str(n), status=status)

    shared, lot_only, failed = video(1), video(2), video(3, status="failed")
    make_link(video=shared, listing=listing)
    make_link(video=shared, batch=batch)
    make_link(video=lot_only, batch=batch)
    make_link(video=failed, listing=listing)
    assert api.get(f"/listings/{listing.pk}").json()["video_count"] == 2


def test_catalog_etag_304(api, listing):
    first = api.get("/listings")
    assert first.status_code == 200 and first["ETag"]
    again = api.get("/listings", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    listing.title = "变了"
    listing.save()
    assert api.get("/listings", headers={"If-None-Match": first["ETag"]}).status_code == 200


@pytest.mark.parametrize("rows", [1, 20])
def test_listing_detail_costs_the_same_queries_whatever_it_holds(
    api, producer, listing, django_assert_num_queries, rows
):
    from producers.models import ListingImage

    for i in range(rows):
        ListingImage.objects.create(listing=listing, original=f"listings/z{i}.jpg")
        make_batch(listing=listing, lot_code=f"L{i}")
    with django_assert_num_queries(1):  # photos and lots come as JSON with the listing's row
        body = api.get(f"/listings/{listing.pk}").json()
    assert len(body["images"]) == rows and len(body["batches"]) == rows


def test_video_count_agrees_with_the_listings_videos_endpoint(api, producer, listing):
    batch = make_batch(listing=listing)
    promoter = make_user(username="promoter")
    for n, (owner, kind, target) in enumerate([
        (producer.user, "origin", {"batch": batch}),
        (producer.user, "origin", {"listing": listing}),
        (promoter, "promo", {"listing": listing}),
    ]):
        video = make_video(owner=owner, kind=kind, platform="youtube", external_id=f"vid{n}",
                           source_url=f"https://youtu.be/vid{n}")
        make_link(video=video, **target)
    shown = api.get(f"/listings/{listing.pk}/videos").json()["items"]
    assert api.get(f"/listings/{listing.pk}").json()["video_count"] == len(shown) == 3
