from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Region(models.Model):
    """An administrative division with its official code (GB/T 2260; 12 digits below county)."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        PREFECTURE = "prefecture", "地级"
        COUNTY = "county", "县级"
        TOWNSHIP = "township", "乡级"
        VILLAGE = "village", "村级"

    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=64)
    level = models.CharField(max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # "河南省 / 周口市 / 太康县": what people read.
    path = models.CharField(max_length=255)
    # "/410000/411600/411627/": every region under this one has a lineage starting with it.
    lineage = models.CharField(max_length=160, db_index=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return self.path


class Category(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=64)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # "/fruit/apples/": the category and its ancestors, for "with sub-categories" filters.
    lineage = models.CharField(max_length=255, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Producer(models.Model):
    """A farmer or a village cooperative; one per account."""

    class Kind(models.TextChoices):
        FARMER = "farmer", "农户"
        COOPERATIVE = "cooperative", "合作社"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="producer"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="producers")
    story = models.TextField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    # Name and story with their pinyin, lower-cased, for `q`.
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """A family of a cooperative: the lots it grew are its own, and so are their sales (a
    cooperative returns its surplus by each member's trade). The phone is the cooperative's to
    call; it never leaves the cooperative's own API."""

    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="members")
    name = models.CharField(max_length=100)
    phone = models.CharField(max_length=32, blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    joined_on = models.DateField()
    # A member whose lots were sold is never deleted: it is made inactive instead.
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["producer", "id"], name="member_producer_id")]

    def __str__(self) -> str:
        return self.name


class Listing(models.Model):
    class Unit(models.TextChoices):
        KG = "kg", "千克"
        JIN = "jin", "斤"
        BOX = "box", "箱"
        PIECE = "piece", "个"
        BAG = "bag", "袋"
        BOTTLE = "bottle", "瓶"
        JAR = "jar", "罐"
        BUNDLE = "bundle", "捆"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        ACTIVE = "active", "在售"
        ARCHIVED = "archived", "已下架"

    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="listings")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="listings")
    unit = models.CharField(max_length=16, choices=Unit.choices)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    stock = models.PositiveIntegerField(default=0)
    origin_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    story = models.TextField(blank=True)
    growing_method = models.CharField(max_length=255, blank=True)
    harvest_start = models.DateField(null=True, blank=True)
    harvest_end = models.DateField(null=True, blank=True)
    net_weight_g = models.PositiveIntegerField(null=True, blank=True)
    commission_rate = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    # How its shipping is priced (a template of its own farm); none: the flat fee.
    freight_template = models.ForeignKey("freight.FreightTemplate", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Pre-sale (全款预售) of a coming harvest: all four or none. Orders close at
    # `presale_closes_at`; its lines promise shipping between `presale_ships_from` and
    # `presale_ships_by`; `stock` is what is still on offer of `presale_expected_quantity`.
    presale_closes_at = models.DateTimeField(null=True, blank=True)
    presale_ships_from = models.DateField(null=True, blank=True)
    presale_ships_by = models.DateField(null=True, blank=True)
    presale_expected_quantity = models.PositiveIntegerField(null=True, blank=True)
    # Units sold (orders placed and not cancelled); orders keep it current, `-sales` sorts by it.
    sales = models.PositiveIntegerField(default=0)
    # The region used by the `region` filter: origin_region, else the producer's region.
    # Kept by the services so that the filter is one indexed prefix match.
    region_lineage = models.CharField(max_length=160, db_index=True, editable=False, default="")
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="listing_price_positive"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="listing_stock_not_negative"),
            models.CheckConstraint(
                condition=Q(commission_rate__isnull=True)
                | Q(commission_rate__gte=Decimal("0"), commission_rate__lte=Decimal("0.50")),
                name="listing_commission_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(harvest_start__isnull=True)
                | Q(harvest_end__isnull=True)
                | Q(harvest_end__gte=F("harvest_start")),
                name="listing_harvest_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(presale_closes_at__isnull=True, presale_ships_from__isnull=True,
                            presale_ships_by__isnull=True,
                            presale_expected_quantity__isnull=True)
                | Q(presale_closes_at__isnull=False, presale_ships_from__isnull=False,
                    presale_ships_by__isnull=False, presale_expected_quantity__isnull=False,
                    presale_ships_by__gte=F("presale_ships_from")),
                name="listing_presale_whole",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="listing_status_created"),
            models.Index(fields=["status", "price", "id"], name="listing_status_price"),
            models.Index(fields=["status", "sales", "id"], name="listing_status_sales"),
        ]

    def __str__(self) -> str:
        return self.title


class ListingImage(models.Model):
    class Status(models.TextChoices):
        PROCESSING = "processing", "处理中"
        READY = "ready", "可用"
        FAILED = "failed", "失败"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="images")
    original = models.ImageField(upload_to="listings/%Y/%m/")
    small = models.ImageField(upload_to="listings/thumbs/%Y/%m/", blank=True)
    medium = models.ImageField(upload_to="listings/thumbs/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROCESSING)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"image {self.pk} of {self.listing_id}"


class Batch(models.Model):
    """A harvest lot: what a QR label on a box points to."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="batches")
    # The cooperative's member who grew it (a farmer's lots name nobody).
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="batches")
    lot_code = models.CharField(max_length=64)
    trace_code = models.CharField(max_length=32, unique=True)
    harvested_on = models.DateField()
    quantity = models.PositiveIntegerField(null=True, blank=True)
    # Units shipped to buyers from this lot (orders.LineLot rows, added up by the shipping
    # service with a conditional UPDATE): never more than `quantity` when that is known.
    shipped = models.PositiveIntegerField(default=0, db_default=0)
    notes = models.TextField(blank=True)
    certifications = models.JSONField(default=list, blank=True)
    # Distinct visitors a day, summed over the days rolled up (BatchScanDaily).
    scans = models.PositiveIntegerField(default=0)
    first_scanned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-harvested_on", "-id"]
        verbose_name_plural = "batches"
        constraints = [
            models.UniqueConstraint(fields=["listing", "lot_code"], name="batch_lot_code_unique"),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(shipped__lte=F("quantity")),
                name="batch_shipped_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_code} ({self.trace_code})"


class BatchScan(models.Model):
    """One visitor's first look at a lot's trace page in a day (marketplace.visitors): the
    truth the daily counts are made from. Written by the roll-up from Redis (`synced`), or on
    the request path while Redis does not answer (not yet synced). `visitor` is a salted HMAC
    of the address and user agent of that day, never the address itself. Kept for a week."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="scan_marks")
    day = models.DateField()
    visitor = models.CharField(max_length=32)
    synced = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "day", "visitor"],
                                    name="batch_scan_once_per_visitor_day")
        ]
        indexes = [
            models.Index(fields=["day", "batch"], name="batch_scan_day_batch"),
            models.Index(fields=["day", "batch"], condition=models.Q(synced=False),
                         name="batch_scan_unsynced"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.day}"


class BatchScanDaily(models.Model):
    """Distinct visitors of a lot's trace page in a day, rolled up every minute
    (`producers.tasks.rollup_scans`); Batch.scans is their sum."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="scan_days")
    day = models.DateField()
    visitors = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "daily scans"
        verbose_name_plural = "daily scans"
        constraints = [
            models.UniqueConstraint(fields=["batch", "day"], name="batch_scan_daily_unique")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.day}: {self.visitors}"
