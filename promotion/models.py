from django.conf import settings
from django.db import models


class Promoter(models.Model):
    """A short-video creator who promotes listings; one per account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promoter"
    )
    display_name = models.CharField(max_length=64)
    bio = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name


class Video(models.Model):
    """A short video on a known platform. `origin` when a producer posts it (the farm's own
    footage), `promo` when a promoter does."""

    class Platform(models.TextChoices):
        DOUYIN = "douyin", "抖音"
        KUAISHOU = "kuaishou", "快手"
        BILIBILI = "bilibili", "哔哩哔哩"
        YOUTUBE = "youtube", "YouTube"
        TIKTOK = "tiktok", "TikTok"

    class Kind(models.TextChoices):
        ORIGIN = "origin", "产地实拍"
        PROMO = "promo", "推广"

    class Status(models.TextChoices):
        PENDING = "pending", "待处理"
        READY = "ready", "可用"
        FAILED = "failed", "失败"
        # A promoter's video on a platform without oEmbed: nothing proves it exists or shows
        # what its title says. Shown nowhere until staff verify it (-> ready) or the farm
        # approves its link to the farm's listing (Link.review).
        UNVERIFIED = "unverified", "待核实"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="videos"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    # The platform's id; for a short link not yet resolved, the short code as given.
    external_id = models.CharField(max_length=128)
    canonical_url = models.URLField(max_length=500)
    source_url = models.URLField(max_length=500)
    title = models.CharField(max_length=200, blank=True)
    thumbnail_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    class FailureReason(models.TextChoices):
        UNAVAILABLE = "unavailable", "平台上没有这个公开视频"
        FETCH_REFUSED = "fetch_refused", "链接跳出了视频平台，或平台的回答不可用"
        SHORT_LINK_UNRESOLVED = "short_link_unresolved", "短链接多次尝试仍无法解析"
        UNSUPPORTED_URL = "unsupported_url", "不是支持的平台的视频链接"
        DUPLICATE = "duplicate", "与已有的视频相同"
        GAVE_UP = "gave_up", "多次尝试后仍未取到视频信息"

    # Why a failed video failed (empty otherwise): the owner is told instead of guessing.
    failure_reason = models.CharField(max_length=24, choices=FailureReason.choices, blank=True)
    # A short link that resolved to a video the owner already had: that video (this one is
    # then failed and hidden; links that could not move stay here and keep working).
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "platform", "external_id"], name="video_unique_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class Link(models.Model):
    """A video shown with a listing (promotion or provenance), a harvest lot (provenance) or a
    public-benefit project (the work on site).
    `code` is the short, unguessable part of the share URL /p/{code}."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="links")
    listing = models.ForeignKey(
        "producers.Listing", null=True, blank=True, on_delete=models.PROTECT,
        related_name="video_links",
    )
    batch = models.ForeignKey(
        "producers.Batch", null=True, blank=True, on_delete=models.PROTECT,
        related_name="video_links",
    )
    # or a public-benefit project (its charity's people film the work on site)
    project = models.ForeignKey(
        "benefit.Project", null=True, blank=True, on_delete=models.PROTECT,
        related_name="video_links",
    )
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Review(models.TextChoices):
        NONE = "", "未审核"
        APPROVED = "approved", "农户认可"
        HIDDEN = "hidden", "农户隐藏"

    # The farm's word on a promotion link to its listing: approved shows an unverified video
    # there and lets the link earn; hidden keeps any video off it and stops the link earning
    # (it still redirects).
    review = models.CharField(max_length=8, choices=Review.choices, blank=True, default="")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(listing__isnull=False, batch__isnull=True,
                                   project__isnull=True)
                | models.Q(listing__isnull=True, batch__isnull=False, project__isnull=True)
                | models.Q(listing__isnull=True, batch__isnull=True, project__isnull=False),
                name="link_to_one_target",
            ),
            models.UniqueConstraint(
                fields=["video", "project"], condition=models.Q(project__isnull=False),
                name="link_unique_video_project",
            ),
            models.UniqueConstraint(
                fields=["video", "listing"], condition=models.Q(listing__isnull=False),
                name="link_unique_video_listing",
            ),
            models.UniqueConstraint(
                fields=["video", "batch"], condition=models.Q(batch__isnull=False),
                name="link_unique_video_batch",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Click(models.Model):
    """One visitor's first click on a link in a day (marketplace.visitors): the truth the
    daily counts are made from. Written by the roll-up from Redis (`synced`), or on the request
    path while Redis does not answer (not yet synced: Redis has not seen it). The unique
    (link, day, visitor) row is the de-duplication; `visitor` is a salted HMAC of the client
    address and user agent of that day, never the address itself. Kept for a week."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="clicks")
    day = models.DateField()
    visitor = models.CharField(max_length=32)
    synced = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["link", "day", "visitor"], name="click_once_per_visitor_day"
            )
        ]
        indexes = [
            models.Index(fields=["day", "link"], name="click_day_link"),
            models.Index(fields=["day", "link"], condition=models.Q(synced=False),
                         name="click_unsynced"),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} {self.day}"


class ClickDaily(models.Model):
    """Distinct visitors of a link in a day, as rolled up by `promotion.tasks.rollup_clicks`
    (from Redis or from Click rows). Stats read this table."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="click_days")
    day = models.DateField()
    clicks = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = "daily clicks"
        verbose_name_plural = "daily clicks"
        constraints = [
            models.UniqueConstraint(fields=["link", "day"], name="click_daily_unique_link_day")
        ]

    def __str__(self) -> str:
        return f"{self.link_id} {self.day}: {self.clicks}"


class Commission(models.Model):
    """A promoter's share of one order's lines of the linked listing, at the listing's rate
    when the order was placed. pending -> settled (delivered + RETURN_WINDOW_DAYS), or
    cancelled with the order. One per (order, link): crediting an order twice adds no second."""

    class Status(models.TextChoices):
        PENDING = "pending", "待结算"
        SETTLED = "settled", "已结算"
        CANCELLED = "cancelled", "已取消"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="commissions")
    link = models.ForeignKey(Link, on_delete=models.PROTECT, related_name="commissions")
    promoter = models.ForeignKey(Promoter, on_delete=models.PROTECT, related_name="commissions")
    listing = models.ForeignKey(
        "producers.Listing", on_delete=models.PROTECT, related_name="commissions"
    )
    # The parcel that carries the listing's lines: its delivery starts the return window.
    shipment = models.ForeignKey(
        "orders.Shipment", on_delete=models.PROTECT, related_name="commissions"
    )
    base_amount = models.DecimalField(max_digits=12, decimal_places=2)
    rate = models.DecimalField(max_digits=3, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The visitor id of the click the order followed (promotion.attribution): one click credits
    # one order, the first paid.
    visit = models.CharField(max_length=32, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "link"], name="commission_one_per_order_link"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, base_amount__gte=0), name="commission_amounts"
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=1), name="commission_rate_range"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "shipment"], name="commission_status_shipment"),
            models.Index(fields=["promoter", "created_at", "id"], name="commission_promoter"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status}) on {self.order_id}"
