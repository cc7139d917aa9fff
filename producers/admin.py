from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Prefetch
from django.utils.html import format_html

from producers import services
from producers.categories import category_lineage
from producers.models import Batch, Category, Listing, ListingImage, Member, Producer, Region
from producers.regions import region_check, region_create
from producers.tracecodes import qr_url, trace_url


class RegionForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["parent", "code", "name"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:  # an existing region is read-only
            errors = region_check(parent=cleaned.get("parent"), code=cleaned.get("code") or "",
                                  name=cleaned.get("name") or "")
            for field, message in errors.items():
                if field not in self.errors:
                    self.add_error(field, message)
        return cleaned


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    form = RegionForm
    list_display = ["code", "name", "level", "path"]
    list_filter = ["level"]
    search_fields = ["code", "name", "path"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "lineage", "level"]
    fields = ["parent", "code", "name", "level", "path", "lineage"]

    def get_readonly_fields(self, request, obj=None):
        # A region is fixed once made: its code and place are in the path and lineage of
        # every region, producer and listing under it.
        return self.fields if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = region_create(parent=obj.parent, code=obj.code, name=obj.name)
        obj.pk = created.pk


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "parent", "position"]
    search_fields = ["slug", "name"]
    fields = ["parent", "slug", "name", "position", "lineage"]

    def get_readonly_fields(self, request, obj=None):
        # Slug and parent are in the lineage of every category under this one (what the
        # `category` filter matches): fixed once made; name and position may change.
        return ["parent", "slug", "lineage"] if obj else ["lineage"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.lineage = category_lineage(obj.parent, obj.slug)
        super().save_model(request, obj, form, change)


def _preview(image: ListingImage | None, height: int = 60):
    if image is None:
        return "—"
    field = image.small or image.original
    if not field:
        return "—"
    return format_html('<img src="{}" alt="" style="height:{}px;border-radius:4px">',
                       field.url, height)


@admin.register(Producer)
class ProducerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "user", "phone", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "user__username", "phone", "region__path"]
    raw_id_fields = ["user", "region"]
    list_select_related = ["region", "user"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.producer_refresh_denormalised(obj)


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["producer", "name", "phone", "region", "joined_on", "active"]

    def clean(self):
        cleaned = super().clean()
        producer = cleaned.get("producer")
        if producer and producer.kind != Producer.Kind.COOPERATIVE:
            self.add_error("producer", "Only a cooperative keeps members.")
        return cleaned


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """A cooperative's member families; one named by a lot cannot be deleted (its lots keep
    their grower), only made inactive."""

    form = MemberForm
    list_display = ["name", "producer", "region", "joined_on", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "phone", "producer__name"]
    raw_id_fields = ["producer", "region"]
    list_select_related = ["producer", "region"]
    readonly_fields = ["created_at", "updated_at"]


class ListingImageInline(admin.TabularInline):
    model = ListingImage
    extra = 0
    fields = ["preview", "status", "width", "height", "position"]
    readonly_fields = ["preview", "status", "width", "height"]
    can_delete = True
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # photos go through the upload pipeline (API) so that they are checked

    @admin.display(description="照片")
    def preview(self, obj):
        return _preview(obj, height=90)


class BatchInline(admin.TabularInline):
    model = Batch
    extra = 0
    fields = ["lot_code", "trace_code", "harvested_on", "quantity", "shipped", "scans"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["photo", "title", "producer", "category", "price", "unit", "stock", "sales",
                    "status", "commission_rate", "created_at"]
    list_display_links = ["photo", "title"]
    list_filter = ["status", "category", "unit"]
    search_fields = ["title", "producer__name", "search_text"]
    raw_id_fields = ["producer", "origin_region"]
    list_select_related = ["producer", "category"]
    # Stock and sales move with every order (conditional UPDATEs): a form read minutes ago
    # must not write them back. The farm sets stock through the API.
    # A pre-sale's terms are the farm's promise to the buyers who paid: set through the API
    # with its rules, shown here.
    readonly_fields = ["stock", "sales", "region_lineage", "presale_closes_at",
                       "presale_ships_from", "presale_ships_by", "presale_expected_quantity",
                       "created_at", "updated_at"]
    inlines = [ListingImageInline, BatchInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("images", queryset=ListingImage.objects.order_by("position", "id"))
        )

    @admin.display(description="照片")
    def photo(self, obj):
        images = list(obj.images.all())
        return _preview(images[0] if images else None)

    def save_model(self, request, obj, form, change):
        services.listing_refresh_denormalised(obj)
        super().save_model(request, obj, form, change)


@admin.register(ListingImage)
class ListingImageAdmin(admin.ModelAdmin):
    list_display = ["preview", "listing", "status", "width", "height", "created_at"]
    list_filter = ["status"]
    list_select_related = ["listing"]
    raw_id_fields = ["listing"]
    readonly_fields = ["preview_medium", "original", "small", "medium", "width", "height",
                       "status", "created_at"]
    fields = ["listing", "position", "preview_medium", "original", "small", "medium", "width",
              "height", "status", "created_at"]
    actions = ["reprocess"]

    def has_add_permission(self, request):
        return False  # photos go through the upload pipeline (API) so that they are checked

    @admin.display(description="照片")
    def preview(self, obj):
        return _preview(obj)

    @admin.display(description="中图")
    def preview_medium(self, obj):
        field = obj.medium or obj.original
        return format_html('<img src="{}" alt="" style="max-width:480px">', field.url)

    @admin.action(description="重新生成缩略图")
    def reprocess(self, request, queryset):
        for image in queryset:
            services.listing_image_reprocess(image=image)
        self.message_user(request, f"{queryset.count()} 张照片将重新生成缩略图。")


class BatchForm(forms.ModelForm):
    class Meta:
        model = Batch
        fields = ["listing", "member", "lot_code", "harvested_on", "quantity", "notes",
                  "certifications"]

    def clean(self):
        cleaned = super().clean()
        listing = cleaned.get("listing")
        if listing and listing.status == Listing.Status.ARCHIVED and self.instance.pk is None:
            self.add_error("listing", "The listing is archived.")
        member = cleaned.get("member")
        if member and listing and member.producer_id != listing.producer_id:
            self.add_error("member", "Not a member of the listing's cooperative.")
        quantity = cleaned.get("quantity")
        if self.instance.pk and quantity is not None and quantity < self.instance.shipped:
            self.add_error("quantity", f"{self.instance.shipped} have already shipped from "
                                       "this lot.")
        if cleaned.get("harvested_on"):
            errors = services.batch_check(
                harvested_on=cleaned["harvested_on"], quantity=cleaned.get("quantity"),
                lot_code=(cleaned.get("lot_code") or "").strip(),
                certifications=cleaned.get("certifications") or [],
            )
            for field, message in errors.items():
                if field not in self.errors:
                    self.add_error(field, message)
        return cleaned


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    form = BatchForm
    list_display = ["lot_code", "trace_code", "listing", "harvested_on", "quantity", "shipped",
                    "scans", "first_scanned_at", "label_warning", "links"]
    list_filter = ["harvested_on"]
    search_fields = ["lot_code", "trace_code", "listing__title", "listing__producer__name"]
    list_select_related = ["listing"]
    raw_id_fields = ["listing", "member"]
    readonly_fields = ["trace_code", "shipped", "scans", "first_scanned_at", "created_at",
                       "links"]
    date_hierarchy = "harvested_on"

    @admin.display(boolean=True, description="疑似复制")
    def label_warning(self, obj):
        return obj.scans > settings.TRACE_SCAN_WARNING_THRESHOLD

    @admin.display(description="溯源")
    def links(self, obj):
        if not obj.trace_code:
            return "—"
        return format_html('<a href="{}" target="_blank">溯源页</a> · '
                           '<a href="{}" target="_blank">二维码</a>',
                           trace_url(obj.trace_code), qr_url(obj.trace_code))

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.batch_create(
            listing=obj.listing, harvested_on=obj.harvested_on, quantity=obj.quantity,
            lot_code=obj.lot_code, notes=obj.notes, certifications=obj.certifications,
            member_id=obj.member_id,
        )
        obj.pk, obj.trace_code = created.pk, created.trace_code
