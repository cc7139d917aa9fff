"""The back office of notifications: what each person was told and how it reached them, a
failed delivery sent again, and the platform templates per event and channel."""

from django.contrib import admin

from notify import services
from notify.models import ContactPoint, Delivery, Notification, Preference, Template, WechatGrant


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "status", "address", "template_id", "reason", "attempts", "due_at",
              "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Per person: search a username, phone or e-mail."""

    list_display = ["id", "user", "event", "title", "created_at", "read_at"]
    list_filter = ["event", "urgent"]
    search_fields = ["user__username", "user__email", "user__contact_points__address",
                     "dedupe_key"]
    list_select_related = ["user"]
    readonly_fields = ["user", "event", "dedupe_key", "title", "body", "data", "urgent",
                       "created_at", "read_at"]
    inlines = [DeliveryInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "notification", "channel", "status", "address", "reason", "attempts",
                    "updated_at"]
    list_filter = ["status", "channel", "notification__event"]
    search_fields = ["notification__user__username", "address", "reason"]
    list_select_related = ["notification"]
    readonly_fields = ["notification", "channel", "status", "address", "template_id", "reason",
                       "attempts", "due_at", "claimed_at", "sent_at", "provider_ref",
                       "created_at", "updated_at"]
    actions = ["resend"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Send the failed ones again")
    def resend(self, request, queryset):
        ids = list(queryset.filter(status=Delivery.Status.FAILED).values_list("pk", flat=True))
        sent = sum(services.delivery_resend(delivery_id=pk) for pk in ids)
        self.message_user(request, f"{sent} deliveries will be sent again.")


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    """The approved template of each event on SMS and WeChat, and which words fill it:
    `params` = [["variable", "title" | "body" | a data key], ...] in the template's order."""

    list_display = ["event", "channel", "template_id", "enabled"]
    list_filter = ["channel", "enabled"]
    search_fields = ["event", "template_id"]


@admin.register(ContactPoint)
class ContactPointAdmin(admin.ModelAdmin):
    list_display = ["user", "channel", "address", "verified_at", "created_at"]
    list_filter = ["channel"]
    search_fields = ["user__username", "address"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(WechatGrant)
class WechatGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "template_id", "remaining", "updated_at"]
    search_fields = ["user__username", "template_id"]
    raw_id_fields = ["user"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "quiet_start", "quiet_end", "updated_at"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
