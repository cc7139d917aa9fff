"""Staff see a claim with its evidence and flags, and decide an escalated one in the admin."""

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import Claim
from tests.claims.conftest import photo, upload
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(make_user(username="kefu", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def escalated(open_claim, farm, buyer_api, parcel):
    claim_id = open_claim().json()["id"]
    upload(farm["api"], f"/shipments/{parcel['shipment'].pk}/evidence", photo())
    farm["api"].post(f"/claims/{claim_id}/reject", {"note": "包装完好"})
    buyer_api.post(f"/claims/{claim_id}/escalate", {"note": "要求平台介入"})
    return claim_id


def test_the_claim_page_shows_the_farms_packing_evidence_and_a_decide_button(
        staff_client, escalated):
    page = staff_client.get(reverse("admin:claims_claim_change", args=[escalated]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "商家" in text and "裁定" in text
    assert staff_client.get(reverse("admin:claims_claim_changelist")).status_code == 200


def test_staff_decide_with_the_courier_liable(staff_client, escalated, buyer_api):
    url = reverse("admin:claims_claim_decide", args=[escalated])
    too_much = staff_client.post(url, {"amount": "9999.00", "courier_liable": "on"})
    assert too_much.status_code == 200 and "金额须在" in too_much.content.decode()

    done = staff_client.post(url, {"amount": "5.00", "courier_liable": "on", "note": "快递压坏"})

    assert done.status_code == 302
    claim = Claim.objects.get(pk=escalated)
    assert (claim.status, str(claim.decided_amount), claim.courier_liable) == (
        "refunded", "5.00", True)
    again = staff_client.post(url, {"amount": "5.00"})
    assert "不能这样操作" in again.content.decode()


def test_only_staff_reach_the_decision(client, escalated):
    url = reverse("admin:claims_claim_decide", args=[escalated])
    assert client.get(url).status_code == 302  # to the admin's sign-in
