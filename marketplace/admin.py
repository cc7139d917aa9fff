from django.contrib import admin
from django.http import HttpRequest

from marketplace.models import IdempotencyKey


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records staff read and never add, change or delete: services write them (the books'
    entries, order events, payments, pledges)."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "status_code", "created_at"]
    readonly_fields = ["user", "key", "request_hash", "status_code", "response_body", "created_at"]
