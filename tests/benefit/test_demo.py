"""The demo (`manage.py demo`): the village school project in 二郎庙村 with a pledging listing,
orders in each state of a pledge, a disbursement with the teacher's video as evidence, a
public ledger that verifies; twice changes nothing."""

import io

import pytest
from django.core.management import call_command

from benefit.codes import code_problem
from benefit.models import Charity, Disbursement, PublicEntry
from tests.client import ApiClient

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_village_school_project_with_every_kind_of_entry():
    call_command("demo", force=True, stdout=io.StringIO())

    charity = Charity.objects.get()
    assert code_problem(charity.registration_code) is None
    project = charity.projects.get()
    assert project.region.name == "二郎庙村"
    api = ApiClient()
    body = api.get(f"/benefit/projects/{project.pk}").json()
    assert body["title"] == "二郎庙村小学免费午餐"
    assert [v["title"] for v in body["videos"]] == ["二郎庙村小学：今天的午饭"]
    assert body["pledged"] != "0.00" and body["disbursed"] != "0.00"
    kinds = set(PublicEntry.objects.filter(project=project).values_list("kind", flat=True))
    assert kinds == {"pledge", "void", "confirm", "disbursement"}
    assert PublicEntry.objects.filter(kind="confirm", amount_fen__lt=0).exists()
    disbursement = Disbursement.objects.get()
    assert [v.title for v in disbursement.evidence_videos.all()] == ["二郎庙村小学：今天的午饭"]
    pledging = api.get("/listings?benefit=true").json()["items"]
    assert [c["benefit"]["value"] for c in pledging] == ["0.10"]
    page = api.get(f"/benefit/{project.pk}").content.decode()
    assert charity.registration_code in page
    call_command("ledger_verify", stdout=io.StringIO())
    call_command("benefit_verify", stdout=io.StringIO())

    entries = PublicEntry.objects.count()
    call_command("demo", force=True, stdout=io.StringIO())
    assert PublicEntry.objects.count() == entries
