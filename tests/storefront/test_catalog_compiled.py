"""The catalog's page SQL is compiled once per shape and run with each request's values
(storefront.selectors.listing_catalog); the region and the category are found by lineage from a
per-process table (storefront.lineages). Here: it answers what the query built afresh answers,
for any mix of filters, orderings, page sizes and cursors; a page is one query; the lineage
table forgets what was saved."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.pagination import PageParams
from producers.models import Category, Listing, Region
from storefront import lineages, selectors
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def goods(producer, other_producer, regions):
    """A dozen listings over two farms, two regions and several categories, with ties."""
    made = []
    for i in range(12):
        made.append(make_listing(
            producer=producer if i % 3 else other_producer, title=f"货{i}",
            category=["apples", "pears", "green-tea", "flour"][i % 4],
            price=["5.00", "12.50", "30.00"][i % 3], stock=i % 5,
            commission_rate=Decimal("0.10") if i % 2 else None,
            origin_region_id=regions["xihu"].pk if i % 4 == 1 else None))
    for i, listing in enumerate(made):
        Listing.objects.filter(pk=listing.pk).update(sales=i % 3)
    return made


def fresh_page(filters: dict, ordering: str, limit: int, cursor: str | None):
    """The page from the query built afresh (what the compiled SQL must equal)."""
    data = {name: value for name, value in filters.items() if value is not None}
    if "region" in data:
        data["region"] = Region.objects.get(pk=data["region"]).lineage
    if "category" in data:
        data["category"] = Category.objects.get(slug=data["category"]).lineage
    order = selectors.LISTING_ORDERINGS[ordering]

    def fetch(after, count):
        return list(selectors._catalog_query(data, order, after, count))

    from marketplace.pagination import keyset_page

    return keyset_page(fetch, Listing, PageParams(limit=limit, cursor=cursor), ordering=order)


FILTERS = st.fixed_dictionaries({
    "region": st.sampled_from([None, "henan", "xihu", "zhejiang"]),
    "category": st.sampled_from([None, "fruit", "apples", "tea", "flour"]),
    "producer": st.sampled_from([None, "mine", "other"]),
    "min_price": st.sampled_from([None, Decimal("5.00"), Decimal("12.50")]),
    "max_price": st.sampled_from([None, Decimal("12.50"), Decimal("100")]),
    "in_stock": st.sampled_from([None, True, False]),
    "promotable": st.sampled_from([None, True, False]),
    "benefit": st.sampled_from([None, True, False]),
})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=FILTERS, ordering=st.sampled_from(list(selectors.LISTING_ORDERINGS)),
       limit=st.integers(1, 5))
def test_the_compiled_page_answers_what_the_fresh_query_answers(
    goods, regions, producer, other_producer, filters, ordering, limit
):
    filters = dict(filters)
    if filters["region"]:
        filters["region"] = regions[filters["region"]].pk
    filters["producer"] = {None: None, "mine": producer.pk,
                           "other": other_producer.pk}[filters["producer"]]
    if (filters["min_price"] or 0) > (filters["max_price"] or Decimal("1e9")):
        filters["max_price"] = None
    cursor, pages = None, 0
    while True:  # every page, through the cursors, both ways
        params = PageParams(limit=limit, cursor=cursor)
        ours = selectors.listing_catalog(filters=dict(filters), ordering=ordering, params=params)
        fresh = fresh_page(filters, ordering, limit, cursor)
        assert [card["id"] for card in ours.items] == [row["id"] for row in fresh.items]
        assert ours.next_cursor == fresh.next_cursor
        pages += 1
        cursor = ours.next_cursor
        if cursor is None or pages > 12:
            break


def test_a_filtered_page_after_a_cursor_is_one_query(
    api, goods, regions, django_assert_num_queries
):
    params = {"region": regions["henan"].pk, "category": "fruit", "min_price": "1",
              "max_price": "100", "in_stock": "true", "ordering": "-sales", "limit": 1}
    first = api.get("/listings", params).json()  # finds the lineages
    assert len(first["items"]) == 1 and first["next_cursor"]
    with django_assert_num_queries(1):
        again = api.get("/listings", {**params, "cursor": first["next_cursor"]}).json()
    assert again["items"] and not {i["id"] for i in again["items"]} & {
        i["id"] for i in first["items"]}


def test_the_lineage_table_forgets_a_saved_category_and_never_keeps_an_unknown_one(
    categories, django_assert_num_queries
):
    fruit = Category.objects.get(slug="fruit")
    assert lineages.lineage_of_category("fruit") == fruit.lineage
    with django_assert_num_queries(0):
        assert lineages.lineage_of_category("fruit") == fruit.lineage
    fruit.lineage = "/moved/fruit/"
    fruit.save()
    with django_assert_num_queries(1):
        assert lineages.lineage_of_category("fruit") == "/moved/fruit/"
    with django_assert_num_queries(1):
        assert lineages.lineage_of_category("spaceships") is None
    Category.objects.create(slug="spaceships", name="飞船", lineage="/spaceships/")
    assert lineages.lineage_of_category("spaceships") == "/spaceships/"


def test_a_lineage_is_read_again_after_its_minute(regions, monkeypatch, django_assert_num_queries):
    henan = regions["henan"]
    lineages.lineage_of_region(henan.pk)
    Region.objects.filter(pk=henan.pk).update(lineage="/changed/")  # no signal: another process
    assert lineages.lineage_of_region(henan.pk) == henan.lineage
    later = lineages.time.monotonic() + lineages.LINEAGE_SECONDS + 1
    monkeypatch.setattr(lineages.time, "monotonic", lambda: later)
    assert lineages.lineage_of_region(henan.pk) == "/changed/"
