from django.contrib import admin, messages
from django.db import models

from promotion import services
from promotion.models import Click, ClickDaily, Commission, Link, Promoter, Video


@admin.register(Promoter)
class PromoterAdmin(admin.ModelAdmin):
    list_display = ["id", "display_name", "user", "created_at"]
    search_fields = ["display_name", "user__username"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"


class LinkInline(admin.TabularInline):
    model = Link
    fields = ["code", "listing", "batch", "review", "created_at"]
    readonly_fields = ["code", "listing", "batch", "review", "created_at"]
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ["id", "platform", "external_id", "kind", "status", "owner", "title",
                    "created_at"]
    list_filter = ["platform", "kind", "status", "created_at"]
    search_fields = ["external_id", "title", "canonical_url", "owner__username"]
    raw_id_fields = ["owner", "duplicate_of"]
    readonly_fields = ["platform", "external_id", "canonical_url", "source_url", "created_at"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    inlines = [LinkInline]
    actions = ["verify", "mark_failed"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.action(description="Verified on the platform: show the selected unverified videos")
    def verify(self, request, queryset):
        n = sum(services.video_verify(video=video)
                for video in queryset.filter(status=Video.Status.UNVERIFIED))
        self.message_user(request, f"{n} video(s) verified.", messages.SUCCESS)

    @admin.action(description="Hide the selected videos (mark failed)")
    def mark_failed(self, request, queryset):
        n = queryset.exclude(status=Video.Status.FAILED).update(status=Video.Status.FAILED)
        self.message_user(request, f"{n} video(s) hidden.", messages.SUCCESS)


class HasListingFilter(admin.SimpleListFilter):
    title = "target"
    parameter_name = "target"

    def lookups(self, request, model_admin):
        return [("listing", "Listing"), ("batch", "Harvest lot")]

    def queryset(self, request, queryset):
        if self.value() == "listing":
            return queryset.filter(listing__isnull=False)
        if self.value() == "batch":
            return queryset.filter(batch__isnull=False)
        return queryset


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["id", "code", "video", "listing", "batch", "created_at"]
    list_filter = [HasListingFilter, "video__platform", "video__kind", "created_at"]
    search_fields = ["code", "video__external_id", "listing__title", "batch__trace_code"]
    raw_id_fields = ["video", "listing", "batch"]
    readonly_fields = ["code", "created_at"]
    list_select_related = ["video", "listing", "batch"]
    date_hierarchy = "created_at"


class ViewOnlyAdmin(admin.ModelAdmin):
    """Counts that only the click pipeline writes: staff look, never add or edit."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ClickDaily)
class ClickDailyAdmin(ViewOnlyAdmin):
    list_display = ["day", "link", "clicks", "updated_at"]
    list_filter = ["day", "link__video__platform"]
    search_fields = ["link__code"]
    raw_id_fields = ["link"]
    list_select_related = ["link"]
    date_hierarchy = "day"


@admin.register(Click)
class ClickAdmin(ViewOnlyAdmin):
    """First clicks of a visitor a day, the last week (synced: copied from Redis by the roll-up;
    not: counted while Redis was away); visitors are hashes."""

    list_display = ["day", "link", "visitor", "synced", "created_at"]
    list_filter = ["day"]
    search_fields = ["link__code"]
    raw_id_fields = ["link"]
    list_select_related = ["link"]
    date_hierarchy = "day"


@admin.register(Commission)
class CommissionAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "promoter", "listing", "base_amount", "rate", "amount",
                    "currency", "status", "created_at", "settled_at"]
    list_filter = ["status", "created_at", "settled_at"]
    search_fields = ["order__number", "link__code", "promoter__display_name", "listing__title"]
    raw_id_fields = ["order", "link", "promoter", "listing", "shipment"]
    readonly_fields = ["order", "link", "promoter", "listing", "shipment", "base_amount", "rate",
                       "amount", "currency", "status", "created_at", "settled_at",
                       "cancelled_at"]
    list_select_related = ["order", "promoter", "listing"]
    date_hierarchy = "created_at"
    actions = ["cancel_pending"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Cancel the selected pending commissions")
    def cancel_pending(self, request, queryset):
        n = services.commissions_cancel(commissions=queryset)
        self.message_user(request, f"{n} commission(s) cancelled.", messages.SUCCESS)
