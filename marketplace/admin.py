from django.contrib import admin

from marketplace.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "status_code", "created_at"]
    readonly_fields = ["user", "key", "request_hash", "status_code", "response_body", "created_at"]
