"""Demo data for this app, loaded by `manage.py demo` (idempotent): a promoter with a Bilibili
and a YouTube video linked to demo listings, a farm's own Douyin footage linked to one of its
harvest lots (the trace page shows it), a week of clicks, and a commission in each state.

No network at demo time: the videos are stored ready with a title, nothing is fetched.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from marketplace.demo import DemoAccount, demo_user, ensure_account
from marketplace.errors import DomainError
from marketplace.models import User
from orders.models import Order, Shipment
from orders.services import (
    order_cancel,
    order_pay,
    order_place,
    shipment_confirm,
    shipment_ship,
)
from producers.models import Batch, Listing, Region
from promotion import services
from promotion.models import ClickDaily, Commission, Link, Promoter, Video
from promotion.video_urls import parse_video_url

PROMOTER = ("creator_demo", "shanhuo-creator-2026")
DEMO_BUYER = "buyer_demo"  # made by orders.demo
PROMO_VIDEOS = [
    ("https://www.bilibili.com/video/BV1GJ411x7h7", "跟着果农去摘苹果：洛川红富士开箱"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "Farm to table: mountain goods"),
]
ORIGIN_VIDEO = ("https://www.douyin.com/video/7301234567890123456", "果园实拍：今年的第一批果子")
WEEK_OF_CLICKS = [12, 18, 9, 25, 31, 14, 22]


def _video(owner: User, url: str, title: str, kind: str) -> Video:
    parsed = parse_video_url(url)
    video, _ = Video.objects.get_or_create(
        owner=owner, platform=parsed.platform, external_id=parsed.external_id,
        defaults={"kind": kind, "canonical_url": parsed.canonical_url,
                  "source_url": parsed.source_url, "title": title,
                  "status": Video.Status.READY},
    )
    return video


def _clicks(links: list[Link]) -> None:
    today = timezone.localdate()
    for link in links:
        if ClickDaily.objects.filter(link=link).exists():
            continue
        ClickDaily.objects.bulk_create([
            ClickDaily(link=link, day=today - timedelta(days=6 - i), clicks=n)
            for i, n in enumerate(WEEK_OF_CLICKS)
        ])


def _commissions(link: Link, stdout) -> None:
    """Three orders through the link: one pending, one settled, one cancelled."""
    if Commission.objects.filter(link=link).exists():
        return
    buyer = User.objects.filter(username=DEMO_BUYER).first()
    region = Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()
    if buyer is None or region is None or link.listing.stock < 3:
        stdout.write("Promotion: no demo buyer or stock, no demo commissions.")
        return
    address = {"recipient": "王小明", "phone": "13800138000", "region_id": region.pk,
               "detail": "幸福路 8 号 2 单元 301"}
    farmer = link.listing.producer.user

    def place() -> Order:
        order = order_place(buyer=buyer, lines=[{"listing_id": link.listing_id, "quantity": 1}],
                            shipping_address=address, promo_code=link.code, note="看视频来的")
        order_pay(order_id=order.pk, user=buyer, method="sandbox")
        return order

    try:
        with transaction.atomic():
            place()  # pending: paid, not yet delivered
            settled = place()
            for shipment in settled.shipments.all():
                shipment_ship(shipment_id=shipment.pk, user=farmer, carrier="顺丰速运",
                              tracking_number=f"SF{settled.pk:010d}")
                shipment_confirm(shipment_id=shipment.pk, user=buyer)
            # delivered long enough ago for the return window to have passed
            Shipment.objects.filter(order=settled).update(
                delivered_at=timezone.now() - timedelta(days=30))
            services.commissions_settle()
            cancelled = place()
            order_cancel(order_id=cancelled.pk, user=buyer)
    except DomainError as exc:
        stdout.write(f"Promotion: demo commissions skipped ({exc.message}).")


def load(*, stdout) -> list[DemoAccount]:
    account = ensure_account(*PROMOTER, display_name="山货小满", role="promoter")
    user = demo_user(PROMOTER[0])
    Promoter.objects.get_or_create(
        user=user, defaults={"display_name": "山货小满",
                             "bio": "拍乡村好物的短视频作者，带你去产地看看。"})

    listings = list(
        Listing.objects.filter(status=Listing.Status.ACTIVE, commission_rate__gt=0, stock__gte=5)
        .select_related("producer").order_by("id")[:2]
    )
    videos = [_video(user, url, title, Video.Kind.PROMO) for url, title in PROMO_VIDEOS]
    links = [
        services.link_create(user=user, video_id=video.pk, listing_id=listing.pk)[0]
        for video, listing in zip(videos, listings, strict=False)
    ]
    _clicks(links)
    if links:
        _commissions(links[0], stdout)

    batch = Batch.objects.select_related("listing__producer__user").order_by("id").first()
    if batch is not None:
        farmer = batch.listing.producer.user
        footage = _video(farmer, *ORIGIN_VIDEO, Video.Kind.ORIGIN)
        services.link_create(user=farmer, video_id=footage.pk, batch_id=batch.pk)
        services.link_create(user=farmer, video_id=footage.pk, listing_id=batch.listing_id)
        stdout.write(f"Promotion: the farm's video is on the trace page /trace/{batch.trace_code}")

    commissions = Commission.objects.filter(promoter__user=user)
    stdout.write(
        f"Promotion: {len(videos)} videos, {len(links)} links for {PROMOTER[0]}; commissions: "
        + ", ".join(f"{s} {commissions.filter(status=s).count()}" for s in Commission.Status)
    )
    if links:
        stdout.write(f"  share link: {links[0].code} -> /p/{links[0].code}")
    return [account]
