"""Templates and listings raced with real threads on PostgreSQL: one row per name, and never
a listing on sale on a weight template without its net weight, nor a listing on a deleted
template."""

from functools import partial

import pytest

from freight.models import FreightTemplate
from producers import services
from producers.models import Listing
from tests.concurrency import run_concurrently
from tests.factories import make_listing
from tests.freight.conftest import template_put

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_puts_of_one_name_make_one_template(farm, template_body):
    def put(fee: str):
        body = template_body()
        body["rules"][0]["first"]["fee"] = fee
        return template_put(farm, "江浙沪", body)

    results = run_concurrently(*[partial(put, f"{n}.00") for n in range(1, 5)])
    assert all(isinstance(result, tuple) for result in results), results
    assert sorted(created for _template, created in results) == [False, False, False, True]
    assert FreightTemplate.objects.count() == 1


def test_a_template_turned_to_weight_and_a_weight_taken_off_never_both_pass(
        farm, template_body):
    template, _ = template_put(farm, "x", template_body(basis="piece"))
    for _round in range(5):
        template_put(farm, "x", template_body(basis="piece"))
        listing = make_listing(producer=farm, net_weight_g=500, freight_template="x")
        results = run_concurrently(
            partial(template_put, farm, "x", template_body(basis="weight")),
            partial(services.listing_update, listing=listing, net_weight_g=None))
        template.refresh_from_db()
        listing.refresh_from_db()
        assert not (template.basis == "weight" and listing.net_weight_g is None), results
        assert sum(isinstance(result, Exception) for result in results) == 1, results
        services.listing_archive(listing=listing)


def test_a_template_deleted_while_a_listing_takes_it_is_one_or_the_other(farm, template_body):
    for _round in range(5):
        template_put(farm, "x", template_body())
        listing = make_listing(producer=farm, net_weight_g=500)
        results = run_concurrently(
            partial(services.freight_template_delete, producer=farm, name="x"),
            partial(services.listing_update, listing=listing, freight_template="x"))
        listing.refresh_from_db()
        exists = FreightTemplate.objects.filter(name="x").exists()
        assert exists == (listing.freight_template_id is not None), results
        assert sum(isinstance(result, Exception) for result in results) == 1, results
        Listing.objects.filter(pk=listing.pk).update(freight_template=None)
        FreightTemplate.objects.filter(name="x").delete()
