import json

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Prefetch
from django.utils.html import format_html, format_html_join
from pydantic import ValidationError as SchemaError

from freight import selectors as freight_selectors
from freight import services as freight_services
from freight.fees import WEIGHT
from freight.models import FreightTemplate
from freight.schemas import FreightTemplateIn
from marketplace.errors import ValidationFailed
from producers import services
from producers.categories import category_lineage
from producers.models import Batch, Category, Listing, ListingImage, Member, Producer, Region
from producers.regions import FreightRegionBook, region_check, region_create
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


class ListingForm(forms.ModelForm):
    """ListingAdmin's fields (the admin makes the form): a freight template of the listing's own
    farm, and a net weight for one on sale on a weight template."""

    def clean(self):
        cleaned = super().clean()
        template, producer = cleaned.get("freight_template"), cleaned.get("producer")
        if template and producer and template.producer_id != producer.pk:
            self.add_error("freight_template", "Not a freight template of the listing's farm.")
        elif (template and template.basis == WEIGHT and cleaned.get("net_weight_g") is None
              and cleaned.get("status") == Listing.Status.ACTIVE):
            self.add_error("net_weight_g", "On a weight freight template a listing needs its "
                                           "net weight (grams) to go on sale.")
        return cleaned


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    form = ListingForm
    list_display = ["photo", "title", "producer", "category", "price", "unit", "stock", "sales",
                    "status", "commission_rate", "created_at"]
    list_display_links = ["photo", "title"]
    list_filter = ["status", "category", "unit"]
    search_fields = ["title", "producer__name", "search_text"]
    raw_id_fields = ["producer", "origin_region", "freight_template"]
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


# --- Freight templates (freight.FreightTemplate, registered here: its regions are ids of this
# app's region tree, checked and named through it) ----------------------------------------------

def _template_rules(template: FreightTemplate) -> dict:
    """The template's rules as PUT /producers/me/freight-templates/{name} takes them."""
    view = freight_selectors.template_view(template, {})
    return {key: view[key] for key in ("rules", "default_rule", "free_over", "no_ship")}


class FreightTemplateForm(forms.ModelForm):
    rules = forms.JSONField(
        label="规则", initial={"rules": [], "default_rule": None, "free_over": [], "no_ship": []},
        help_text="As the farm's app sends them (PUT /producers/me/freight-templates/{name}): "
                  "rules [{regions: [region id], first: {units, fee}, next: {units, fee}}], "
                  "default_rule {first, next} or null, free_over [{regions, min_amount | "
                  "min_units}], no_ship [region id]. Fees in yuan as strings (\"8.00\"); units "
                  "are kilograms (by weight) or pieces.",
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100}))

    class Meta:
        model = FreightTemplate
        fields = ["producer", "name", "basis"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["rules"] = json.loads(json.dumps(_template_rules(self.instance),
                                                          default=str))

    def clean(self):
        cleaned = super().clean()
        body = cleaned.get("rules")
        if not isinstance(body, dict) or not cleaned.get("basis"):
            if "rules" not in self.errors:
                self.add_error("rules", "An object: {rules, default_rule, free_over, no_ship}.")
            return cleaned
        try:
            payload = FreightTemplateIn.model_validate({**body, "basis": cleaned["basis"]})
        except SchemaError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"])
                self.add_error("rules", f"{where}: {error['msg']}")
            return cleaned
        self.payload = payload.dict()
        name = self.instance.name if self.instance.pk else (cleaned.get("name") or "").strip()
        try:
            freight_services.template_check(name=name, book=FreightRegionBook(), **self.payload)
        except ValidationFailed as exc:
            for detail in exc.details:
                field = "name" if detail["field"] == "name" else "rules"
                self.add_error(field, f"{detail['field']}: {detail['message']}")
        if self.instance.pk and cleaned["basis"] == WEIGHT and (
                unweighed := services.listings_unweighed(template_id=self.instance.pk)):
            self.add_error("basis", f"Listings on sale on it have no net weight: {unweighed}.")
        return cleaned


@admin.register(FreightTemplate)
class FreightTemplateAdmin(admin.ModelAdmin):
    """A farm's freight template, saved through the same service as the farm's PUT (the same
    checks). One a listing names cannot be deleted (the listings are shown instead)."""

    form = FreightTemplateForm
    list_display = ["name", "producer", "basis", "updated_at"]
    list_filter = ["basis"]
    search_fields = ["name", "producer__name"]
    raw_id_fields = ["producer"]
    list_select_related = ["producer"]
    readonly_fields = ["summary", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # the farm and the name are what listings and the farm's app know it by
        return ["producer", "name", *self.readonly_fields] if obj else self.readonly_fields

    @admin.display(description="地区")
    def summary(self, obj):
        document = obj.document or {}
        areas = FreightRegionBook().find(freight_selectors.region_ids(document))

        def names(pairs):
            return "、".join(areas[i].path if i in areas else str(i) for i, _code in pairs)

        lines = [(f"{names(rule['regions'])}", "规则") for rule in document.get("rules", ())]
        lines += [(names(entry["regions"]) or "全部地区", "包邮")
                  for entry in document.get("free_over", ())]
        if document.get("no_ship"):
            lines.append((names(document["no_ship"]), "不发货"))
        return format_html_join("", "<div>{1}：{0}</div>", lines) or "—"

    def save_model(self, request, obj, form, change):
        template, _created = services.freight_template_put(
            producer=obj.producer, name=obj.name, **form.payload)
        obj.pk = template.pk
