import pytest
from django.core import signing

from marketplace.errors import BadRequest
from marketplace.pagination import PageParams, paginate
from producers.models import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_categories():
    # positions repeat so that the order has ties the id must break
    return [
        Category.objects.create(slug=f"c{i}", name=f"c{i}", lineage=f"/c{i}/", position=i % 3)
        for i in range(23)
    ]


def walk(ordering, limit):
    seen, cursor, pages = [], None, 0
    while True:
        page = paginate(Category.objects.all(), PageParams(limit=limit, cursor=cursor),
                        ordering=ordering)
        seen += [c.pk for c in page.items]
        pages += 1
        if page.next_cursor is None:
            return seen, pages
        cursor = page.next_cursor


@pytest.mark.parametrize("ordering", [["position", "id"], ["-position", "-id"], ["-id"]])
def test_paging_visits_every_row_once_in_order(many_categories, ordering):
    seen, pages = walk(ordering, limit=5)
    expected = list(Category.objects.order_by(*ordering).values_list("pk", flat=True))
    assert seen == expected
    assert pages == 5


def test_last_page_has_no_cursor(many_categories):
    page = paginate(Category.objects.all(), PageParams(limit=100), ordering=["id"])
    assert len(page.items) == 23 and page.next_cursor is None


def test_a_tampered_cursor_is_refused(many_categories):
    page = paginate(Category.objects.all(), PageParams(limit=5), ordering=["position", "id"])
    tampered = page.next_cursor[:-2] + ("AA" if page.next_cursor[-2:] != "AA" else "BB")
    with pytest.raises(BadRequest) as caught:
        paginate(Category.objects.all(), PageParams(limit=5, cursor=tampered),
                 ordering=["position", "id"])
    assert caught.value.code == "invalid_cursor"


def test_a_cursor_from_another_ordering_is_refused(many_categories):
    page = paginate(Category.objects.all(), PageParams(limit=5), ordering=["position", "id"])
    with pytest.raises(BadRequest):
        paginate(Category.objects.all(), PageParams(limit=5, cursor=page.next_cursor),
                 ordering=["-id"])


def test_the_same_page_has_the_same_cursor_from_one_second_to_the_next(many_categories):
    from unittest import mock

    def next_cursor():
        return paginate(Category.objects.all(), PageParams(limit=5),
                        ordering=["position", "id"]).next_cursor

    first = next_cursor()
    with mock.patch("time.time", return_value=4_000_000_000):  # decades later
        assert next_cursor() == first


def test_a_cursor_signed_with_the_time_by_an_earlier_release_is_still_honoured(many_categories):
    ordering = ["position", "id"]
    page = paginate(Category.objects.all(), PageParams(limit=5), ordering=ordering)
    payload = signing.Signer(salt="shanhuo.cursor").unsign_object(page.next_cursor)
    earlier = signing.dumps(payload, salt="shanhuo.cursor", compress=True)
    assert earlier.count(":") == 2 and earlier != page.next_cursor
    again = paginate(Category.objects.all(), PageParams(limit=5, cursor=earlier),
                     ordering=ordering)
    assert [c.pk for c in again.items] == list(
        Category.objects.order_by(*ordering).values_list("pk", flat=True))[5:10]


def test_a_signed_cursor_with_garbage_values_is_refused(many_categories):
    forged = signing.dumps({"s": "producers.category:-id:", "v": [{"x": 1}]},
                           salt="shanhuo.cursor", compress=True)
    with pytest.raises(BadRequest):
        paginate(Category.objects.all(), PageParams(limit=5, cursor=forged), ordering=["-id"])


# With DEBUG on, SECRET_KEY is the public development key, so anyone can sign a cursor: a
# signed cursor whose values do not fit the list's columns must still be a 400, not a 500.
@pytest.mark.parametrize("sign", [
    lambda data: signing.Signer(salt="shanhuo.cursor").sign_object(data, compress=True),
    lambda data: signing.dumps(data, salt="shanhuo.cursor", compress=True),  # an earlier release
], ids=["signed", "signed-with-time"])
@pytest.mark.parametrize(("ordering", "values"), [
    ("price", [["d", "not-a-number"], 1]),       # decimal.InvalidOperation
    ("price", [["d", "NaN"], 1]),
    ("price", [["d", "12.50"], "one"]),          # text for the primary key
    ("price", [["d", "12.50"], 2**70]),          # past a bigint
    ("-created", [["t", "2026-01-01T00:00:00"], 1]),  # no time zone
    ("-created", [["D", "2026-01-01"], 1]),      # a date for a timestamp
    ("-sales", [True, 1]),
])
def test_a_signed_cursor_with_values_of_the_wrong_kind_is_a_400(api, ordering, values, sign):
    from storefront.selectors import LISTING_ORDERINGS

    scope = f"producers.listing:{','.join(LISTING_ORDERINGS[ordering])}:"
    cursor = sign({"s": scope, "v": values})
    response = api.get("/listings", {"ordering": ordering, "cursor": cursor})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_cursor"
