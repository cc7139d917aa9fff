"""The demo (`manage.py demo`): verified sellers, a 承诺达标合格证 and verified certificates that
show on the catalog and the trace page; twice changes nothing."""

import io

import pytest
from django.core.management import call_command

from certificates.models import Certificate, SellerVerification
from tests.client import ApiClient

pytestmark = pytest.mark.django_db


def test_the_demo_has_verified_sellers_and_certificates_that_show():
    call_command("demo", force=True, stdout=io.StringIO())
    counts = (SellerVerification.objects.count(), Certificate.objects.count())
    call_command("demo", force=True, stdout=io.StringIO())
    assert (SellerVerification.objects.count(), Certificate.objects.count()) == counts

    api = ApiClient()
    green = api.get("/listings", {"certified": "green"}).json()["items"]
    assert [c["title"] for c in green] == ["太康沙地红薯"] and green[0]["verified"] is True
    assert {c["producer"]["name"] for c in api.get("/listings", {"certified": "gi"})
            .json()["items"]} == {"洛川县苹果专业合作社"}
    lot = Certificate.objects.get(kind="green").batch
    page = api.get(f"/trace/{lot.trace_code}").content.decode()
    assert "承诺达标合格证" in page and "LB-15-23100412345A" in page
    assert "个人销售自产农副产品，依法无需登记" in page
    assert SellerVerification.objects.filter(status="pending").count() == 1
