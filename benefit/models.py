"""Public benefit (公益): registered charities, their village projects, the pledges farms and
promoters make to them, what staff disbursed, and the public ledger anyone can recompute.

Shanhuo records and passes on a seller's pledge to a registered charity; it does not collect
donations from buyers. The money itself is in the books (`books`): each project has a pending
and an available account (`Account.Kind.BENEFIT_PROJECT`); `PublicEntry` is the public,
hash-chained account of what those accounts did, written in the same transaction as each
posting (`benefit.ledger`)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from benefit.codes import code_problem, normalised


def _valid_code(value: str) -> None:
    problem = code_problem(normalised(value))
    if problem:
        raise ValidationError(problem)


class Charity(models.Model):
    """A registered charity (慈善组织), known by its unified social credit code. `members` are
    the accounts of its people on site: they post the project's videos."""

    name = models.CharField(max_length=120)
    registration_code = models.CharField(max_length=18, unique=True, validators=[_valid_code],
                                         help_text="统一社会信用代码（18 位，校验位会核对）")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "charities"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.registration_code = normalised(self.registration_code)
        super().save(*args, **kwargs)


class Project(models.Model):
    """A charity's project in a village (a school's free lunches, say) that sales may pledge
    to. A closed project takes no new pledges; what was pledged before runs its course."""

    class Status(models.TextChoices):
        ACTIVE = "active", "进行中"
        CLOSED = "closed", "已结束"

    charity = models.ForeignKey(Charity, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(max_length=120)
    region = models.ForeignKey("producers.Region", on_delete=models.PROTECT, related_name="+")
    story = models.TextField(blank=True, max_length=2000)
    goal_amount = models.DecimalField(max_digits=12, decimal_places=2)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(goal_amount__gt=0), name="project_goal_positive"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True)
                                   | Q(ends_on__gte=models.F("starts_on")),
                                   name="project_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class PledgeKind(models.TextChoices):
    PERCENT = "percent", "按比例"
    FIXED = "fixed", "每件定额"


class ListingPledge(models.Model):
    """A farm's pledge on one listing: a percent of each line's goods (unit price x quantity,
    shipping excluded) or a fixed amount per unit (never more than the unit price)."""

    listing = models.OneToOneField("producers.Listing", on_delete=models.CASCADE,
                                   related_name="benefit_pledge")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=PledgeKind.choices)
    value = models.DecimalField(max_digits=10, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(value__gt=0),
                                              name="listing_pledge_positive")]

    def __str__(self) -> str:
        return f"{self.listing_id} -> {self.project_id} {self.kind} {self.value}"


class PromoterPledge(models.Model):
    """A promoter's pledge: a percent of each of their own commissions."""

    promoter = models.OneToOneField("promotion.Promoter", on_delete=models.CASCADE,
                                    related_name="benefit_pledge")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100),
                                              name="promoter_pledge_percent")]

    def __str__(self) -> str:
        return f"{self.promoter_id} -> {self.project_id} {self.percent}%"


class LinePledge(models.Model):
    """A pledge as it was when the order was placed, on one order line: a farm's (on its
    listing's line) or the promoter's (of the commission on that line). A later change of the
    pledge applies to later orders. `amount` is rounded half up to the fen once per line."""

    class Source(models.TextChoices):
        FARM = "farm", "农户"
        PROMOTER = "promoter", "推广者"

    line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=8, choices=Source.choices)
    promoter = models.ForeignKey("promotion.Promoter", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=PledgeKind.choices)
    value = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "source"], name="line_pledge_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="line_pledge_amount"),
        ]
        indexes = [models.Index(fields=["order"], name="line_pledge_order")]

    def __str__(self) -> str:
        return f"{self.source} {self.amount} on line {self.line_id}"


class Disbursement(models.Model):
    """Money passed on to the project's charity, recorded by staff with the donation receipt's
    number (捐赠票据) and evidence (videos, photo URLs). Never more than the project's confirmed
    (available) balance; posted to the books when recorded."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="disbursements")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_on = models.DateField()
    receipt_number = models.CharField(max_length=64)
    note = models.CharField(max_length=500, blank=True)
    evidence_videos = models.ManyToManyField("promotion.Video", blank=True, related_name="+")
    evidence_urls = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_positive"),
            models.CheckConstraint(condition=~Q(receipt_number=""),
                                   name="disbursement_has_receipt"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} to {self.project_id} ({self.receipt_number})"


class PublicEntry(models.Model):
    """One entry of a project's public ledger (API.md): append-only and hash-chained per
    project. Written by `benefit.ledger` in the transaction of the books posting that causes
    it; `source` (the posting's key and the entry's place in it) is unique, so a posting
    retried writes its entries once. `order_id` is private (reports, checks); the public sees
    `order_ref`, an HMAC of the order number."""

    class Kind(models.TextChoices):
        PLEDGE = "pledge", "认捐"
        VOID = "void", "撤销"
        CONFIRM = "confirm", "确认"
        DISBURSEMENT = "disbursement", "拨付"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount_fen = models.BigIntegerField()
    listing_id = models.BigIntegerField(null=True, blank=True)
    order_ref = models.CharField(max_length=64, null=True, blank=True)
    order_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=140, unique=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["project", "seq"]
        verbose_name_plural = "public entries"
        constraints = [
            models.UniqueConstraint(fields=["project", "seq"], name="public_entry_seq"),
            models.CheckConstraint(condition=~Q(amount_fen=0), name="public_entry_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}#{self.seq} {self.kind} {self.amount_fen}"
