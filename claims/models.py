"""After-sales claims (售后, 坏果包赔): a buyer's claim on one parcel, its lines with their
damage levels, the photos and videos on both sides, and its timeline.

A claim is `active` from the moment it is opened until nothing more can happen to it (refunded,
withdrawn, or a rejection the buyer let lapse): at most one active claim per parcel, enforced by
a partial unique index. The timeline (`ClaimEvent`) is only ever appended to."""

from django.conf import settings
from django.db import models
from django.db.models import Q

DAMAGE_LEVELS = (10, 30, 50, 80, 100)


class Claim(models.Model):
    class Kind(models.TextChoices):
        DAMAGED = "damaged", "破损/坏果"
        SHORT_WEIGHT = "short_weight", "缺斤少两"
        WRONG_ITEM = "wrong_item", "发错货"
        NOT_RECEIVED = "not_received", "未收到货"
        NOT_AS_DESCRIBED = "not_as_described", "与描述不符"

    class Status(models.TextChoices):
        OPEN = "open", "待商家处理"
        ACCEPTED = "accepted", "商家已同意"
        PROPOSED = "proposed", "商家提出新方案"
        REJECTED = "rejected", "商家已拒绝"
        ESCALATED = "escalated", "平台介入中"
        DECIDED = "decided", "平台已裁定"
        REFUNDED = "refunded", "已退款"
        WITHDRAWN = "withdrawn", "买家已撤销"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="claims")
    shipment = models.ForeignKey("orders.Shipment", on_delete=models.PROTECT,
                                 related_name="claims")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="claims")
    producer = models.ForeignKey("producers.Producer", on_delete=models.PROTECT,
                                 related_name="claims")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=500, blank=True)
    # what the buyer asks (goods + shipping share, capped), what the farm offered, what was
    # agreed or decided (the refund's amount)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    proposed_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    decided_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # staff found the courier at fault: the platform pays, the farm is not charged
    courier_liable = models.BooleanField(default=False)
    # abuse rules that sent it to staff (never auto-accepted): codes, see claims.abuse
    staff_reasons = models.JSONField(default=list, blank=True)
    # the refund that paid it (keyed by the claim: a retry finds it)
    refund = models.OneToOneField("payments.Refund", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="claim")
    respond_by = models.DateTimeField()
    escalate_by = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment"], condition=Q(active=True),
                                    name="claim_one_active_per_shipment"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive"),
            models.CheckConstraint(condition=Q(decided_amount__isnull=True)
                                   | Q(decided_amount__gte=0),
                                   name="claim_decided_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["buyer", "created_at", "id"], name="claim_buyer_created"),
            models.Index(fields=["producer", "created_at", "id"], name="claim_producer_created"),
            models.Index(fields=["status", "respond_by"], name="claim_status_respond_by"),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk} on shipment {self.shipment_id}"

    @property
    def needs_staff(self) -> bool:
        return bool(self.staff_reasons)


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT,
                             related_name="claim_lines")
    quantity = models.PositiveIntegerField()
    damage_pct = models.PositiveSmallIntegerField()
    proposed_pct = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "line"], name="claim_line_once"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="claim_line_quantity_min"),
            models.CheckConstraint(condition=Q(damage_pct__in=DAMAGE_LEVELS),
                                   name="claim_line_damage_level"),
            models.CheckConstraint(condition=Q(proposed_pct__isnull=True)
                                   | Q(proposed_pct__in=DAMAGE_LEVELS),
                                   name="claim_line_proposed_level"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.line_id} at {self.damage_pct}%"


class Evidence(models.Model):
    """A photo or short video: the buyer's of the damage, the farm's of its packing (on the
    parcel, at shipping) or in answer to a claim. Stored without EXIF/GPS or a video's metadata
    boxes; a photo keeps its perceptual hash and when it says it was taken."""

    class Party(models.TextChoices):
        BUYER = "buyer", "买家"
        FARM = "farm", "商家"

    class Kind(models.TextChoices):
        PHOTO = "photo", "照片"
        VIDEO = "video", "视频"

    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="evidence")
    shipment = models.ForeignKey("orders.Shipment", on_delete=models.PROTECT,
                                 related_name="evidence")
    party = models.CharField(max_length=8, choices=Party.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to="claims/%Y/%m/")
    size = models.PositiveIntegerField()
    # 64-bit pHash as 16 hex digits (photos only)
    phash = models.CharField(max_length=16, blank=True, db_index=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    # the photo's own timestamp is before the parcel shipped
    taken_before_shipped = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} by the {self.party}"


class ClaimEvent(models.Model):
    """One step of a claim: who (a role, and the account), what, when. Appended, never
    changed."""

    class Actor(models.TextChoices):
        BUYER = "buyer", "买家"
        FARM = "farm", "商家"
        STAFF = "staff", "平台"
        SYSTEM = "system", "系统"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    actor = models.CharField(max_length=8, choices=Actor.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.action}"
