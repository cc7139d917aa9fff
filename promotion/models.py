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
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
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
    """A video shown with a listing (promotion or provenance) or a harvest lot (provenance).
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
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(listing__isnull=False, batch__isnull=True)
                | models.Q(listing__isnull=True, batch__isnull=False),
                name="link_to_listing_xor_batch",
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
