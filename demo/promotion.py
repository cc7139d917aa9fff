"""Demo data of the promotion app, loaded by `manage.py demo` (idempotent): a promoter with a
Bilibili and a Kuaishou video linked to demo listings, a farm's own Douyin footage linked to one
of its harvest lots (the trace page shows it), a week of clicks, and a commission in each state.

Everything goes through the services, as the API's requests do. No network at demo time: these
platforms have no oEmbed, so `video_submit` keeps the given title and makes the farm's own
footage ready at once; the promoter's videos are unverified until each farm approves the one on
its listing, as a farm would in the app. The past (links made weeks ago, a week of clicks, an
order received after its return window) is made by the services on a clock set back (`demo.clock`).
"""


from django.conf import settings
from django.db import transaction

from accounts.models import User
from checkout.services import commissions_settle, order_cancel, order_pay, order_place
from demo import clock
from demo.accounts import DemoAccount, demo_user, ensure_account
from marketplace.errors import DomainError
from orders.models import Order
from orders.services import shipment_confirm, shipment_ship
from producers.models import Batch, Listing, Region
from promotion import attribution, services
from promotion.models import ClickDaily, Commission, Link, Promoter, Video

PROMOTER = ("creator_demo", "shanhuo-creator-2026")
DEMO_BUYER = "buyer_demo"  # made by demo.orders
PROMO_VIDEOS = [
    ("https://www.bilibili.com/video/BV1GJ411x7h7", "跟着果农去摘苹果：洛川红富士开箱"),
    ("https://www.kuaishou.com/short-video/3xnvxg6yj7sqmea", "山里的蜂蜜是怎么割出来的"),
]
ORIGIN_VIDEO = ("https://www.douyin.com/video/7301234567890123456", "果园实拍：今年的第一批果子")
WEEK_OF_CLICKS = [12, 18, 9, 25, 31, 14, 22]
DEMO_BROWSER = "Mozilla/5.0 (Linux; Android 14) Shanhuo-demo"


def _video(owner: User, url: str, title: str, kind: str) -> Video:
    video, _ = services.video_submit(user=owner, url=url, title=title, kind=kind)
    return video


def _clicks(links: list[Link]) -> None:
    """A week of visitors through each link, each day counted and rolled up on that day."""
    for link in links:
        if ClickDaily.objects.filter(link=link).exists():
            continue
        for days_ago, visitors in zip(range(6, -1, -1), WEEK_OF_CLICKS, strict=True):
            with clock.days_ago(days_ago, hour=20) as day:
                for n in range(visitors):
                    services.click_record(link_id=link.pk, user_agent=DEMO_BROWSER,
                                          client_address=f"10.{link.pk % 250}.{days_ago}.{n + 1}")
                services.clicks_rollup(today=day)


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
                            shipping_address=address, promo_code=link.code, note="看视频来的",
                            promo_visit=attribution.visit_issue(link_id=link.pk))
        order_pay(order_id=order.pk, user=buyer, method="sandbox")
        return order

    try:
        with transaction.atomic():
            place()  # pending: paid, not yet delivered
            # bought, shipped and received long enough ago for the return window to have passed
            with clock.days_ago(settings.RETURN_WINDOW_DAYS + 23):
                settled = place()
                for shipment in settled.shipments.all():
                    shipment_ship(shipment_id=shipment.pk, user=farmer, carrier="顺丰速运",
                                  tracking_number=f"SF{settled.pk:013d}")
                    shipment_confirm(shipment_id=shipment.pk, user=buyer)
            commissions_settle()
            cancelled = place()
            order_cancel(order_id=cancelled.pk, user=buyer)
    except DomainError as exc:
        stdout.write(f"Promotion: demo commissions skipped ({exc.message}).")


def load(*, stdout) -> list[DemoAccount]:
    with clock.days_ago(clock.PROMOTER_JOINED):
        account = ensure_account(*PROMOTER, display_name="山货小满", role="promoter")
        user = demo_user(PROMOTER[0])
        if not Promoter.objects.filter(user=user).exists():
            services.promoter_create(user=user, display_name="山货小满",
                                     bio="拍乡村好物的短视频作者，带你去产地看看。")
        listings = list(
            Listing.objects.filter(status=Listing.Status.ACTIVE, commission_rate__gt=0,
                                   stock__gte=5)
            .select_related("producer").order_by("id")[:2]
        )
        videos = [_video(user, url, title, Video.Kind.PROMO) for url, title in PROMO_VIDEOS]
        links = [
            services.link_create(user=user, video_id=video.pk, listing_id=listing.pk)[0]
            for video, listing in zip(videos, listings, strict=False)
        ]
        for link in links:
            services.link_review(user=link.listing.producer.user, listing_id=link.listing_id,
                                 video_id=link.video_id, review="approved")
    _clicks(links)
    if links:
        _commissions(links[0], stdout)

    batch = Batch.objects.select_related("listing__producer__user").order_by("id").first()
    if batch is not None:
        farmer = batch.listing.producer.user
        with clock.days_ago(clock.PROMOTER_JOINED):
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
