"""The demo (`manage.py demo`): a promoter with videos on two platforms, links, clicks and a
commission in each state; the farm's own footage on the trace page; twice changes nothing."""

import io

import pytest
from django.core.management import call_command

from promotion.models import ClickDaily, Commission, Link, Promoter, Video

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {model.__name__: model.objects.count()
            for model in (Promoter, Video, Link, ClickDaily, Commission)}


def test_the_demo_has_what_a_promoter_and_a_farm_show_and_runs_twice(api):
    call_command("demo", force=True, stdout=io.StringIO())

    promoter = Promoter.objects.get(user__username="creator_demo")
    # unverified (no oEmbed on these platforms) and approved by each farm on its listing
    promo = Video.objects.filter(owner=promoter.user, kind="promo", status="unverified")
    assert {v.platform for v in promo} == {"bilibili", "kuaishou"}
    assert Link.objects.filter(video__in=promo, review="approved").count() == 2
    shown = Link.objects.filter(video__in=promo).first()
    videos = api.get(f"/api/v1/listings/{shown.listing_id}/videos").json()["items"]
    assert shown.video_id in [v["id"] for v in videos]
    assert ClickDaily.objects.filter(link__video__in=promo).exists()
    assert sorted(promoter.commissions.values_list("status", flat=True)) == [
        "cancelled", "pending", "settled"]

    origin = Link.objects.select_related("batch").get(video__kind="origin", batch__isnull=False)
    trace = api.get(f"/api/v1/trace/{origin.batch.trace_code}").json()
    assert [v["id"] for v in trace["videos"]] == [origin.video_id]

    before = counts()
    call_command("demo", force=True, stdout=io.StringIO())
    assert counts() == before
