"""Staff edit a farm's freight template in the admin, through the same checks as the farm's
PUT; a template a listing names is not deleted."""

import json

import pytest
from django.test import Client

from freight.models import FreightTemplate
from producers.models import Listing
from tests.factories import make_listing, make_user

pytestmark = pytest.mark.django_db

URL = "/producers/me/freight-templates/"
ADMIN = "/admin/freight/freighttemplate/"


@pytest.fixture
def staff():
    client = Client()
    client.force_login(make_user(username="staff", is_staff=True, is_superuser=True))
    return client


def rules_of(body: dict) -> str:
    return json.dumps({key: body[key] for key in ("rules", "default_rule", "free_over",
                                                   "no_ship")})


def test_the_list_and_a_template_open_with_its_regions_named(staff, farm_api, template_body):
    farm_api.put(URL + "江浙沪", template_body())
    assert "江浙沪" in staff.get(ADMIN).content.decode()
    page = staff.get(f"{ADMIN}{FreightTemplate.objects.get().pk}/change/").content.decode()
    assert "浙江省" in page and "河南省 / 周口市 / 太康县" in page and "&quot;8.00&quot;" in page


def test_staff_change_a_templates_fees(staff, farm_api, template_body):
    farm_api.put(URL + "江浙沪", template_body())
    template = FreightTemplate.objects.get()
    body = template_body()
    body["rules"][0]["first"]["fee"] = "6.50"
    response = staff.post(f"{ADMIN}{template.pk}/change/",
                          {"basis": "weight", "rules": rules_of(body)})
    assert response.status_code == 302, response.content.decode()[:3000]
    rules = farm_api.get(URL + "江浙沪").json()["rules"]
    assert rules[0]["first"] == {"units": 1, "fee": "6.50"}


def test_staff_add_a_template_for_a_farm(staff, farm, template_body, regions):
    response = staff.post(f"{ADMIN}add/", {"producer": farm.pk, "name": "偏远",
                                           "basis": "piece", "rules": rules_of(template_body())})
    assert response.status_code == 302, response.content.decode()[:3000]
    template = FreightTemplate.objects.get(producer=farm, name="偏远")
    assert template.basis == "piece"
    assert template.document["rules"][0]["regions"] == [[regions["zhejiang"].pk, "330000"]]


def test_bad_rules_are_refused_with_the_field_and_nothing_changes(staff, farm_api,
                                                                   template_body):
    farm_api.put(URL + "江浙沪", template_body())
    template = FreightTemplate.objects.get()
    body = template_body(default_rule=None, rules=template_body()["rules"][:1])
    body["rules"][0]["next"] = {"units": 0, "fee": "-1.00"}
    page = staff.post(f"{ADMIN}{template.pk}/change/",
                      {"basis": "weight", "rules": rules_of(body)}).content.decode()
    assert "rules.0.next.units" in page and "rules.0.next.fee" in page
    page = staff.post(f"{ADMIN}{template.pk}/change/",
                      {"basis": "weight", "rules": rules_of(template_body(
                          default_rule=None, rules=template_body()["rules"][:1]))}
                      ).content.decode()
    assert "default_rule" in page and "河南省" in page
    assert FreightTemplate.objects.get().document == template.document


def test_a_template_a_listing_names_is_not_deleted(staff, farm, farm_api, template_body):
    farm_api.put(URL + "江浙沪", template_body())
    template = FreightTemplate.objects.get()
    listing = make_listing(producer=farm, freight_template="江浙沪", net_weight_g=500)
    staff.post(f"{ADMIN}{template.pk}/delete/", {"post": "yes"})
    assert FreightTemplate.objects.filter(pk=template.pk).exists()
    assert Listing.objects.get(pk=listing.pk).freight_template_id == template.pk


def test_the_listing_admin_takes_only_the_farms_own_templates(staff, farm, other_api,
                                                              template_body):
    other_api.put(URL + "别人的", template_body())
    listing = make_listing(producer=farm)
    page = staff.get(f"/admin/producers/listing/{listing.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(producer=farm.pk, category=listing.category_id, price="12.50",
                freight_template=FreightTemplate.objects.get().pk,
                **{f"{prefix}-{key}": value for prefix in ("images", "batches")
                   for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))})
    response = staff.post(f"/admin/producers/listing/{listing.pk}/change/", data)
    assert response.status_code == 200
    assert "Not a freight template of the listing&#x27;s farm." in response.content.decode()
    assert Listing.objects.get(pk=listing.pk).freight_template is None
