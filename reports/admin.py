from django.contrib import admin

from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: staff see who asked for what, how far it got and why one failed. Files are
    the owner's; the admin neither shows nor changes them."""

    list_display = ["id", "owner", "kind", "format", "period_start", "period_end", "status",
                    "progress", "row_count", "created_at", "expires_at"]
    list_filter = ["kind", "format", "status", "created_at"]
    search_fields = ["owner__username", "failure_reason"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    exclude = ["file_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
