from django.contrib import admin

from marketplace.models import IdempotencyKey

admin.site.site_header = "山货 Shanhuo 管理后台"
admin.site.site_title = "山货 Shanhuo"
admin.site.index_title = "后台管理"


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "status_code", "created_at"]
    readonly_fields = ["user", "key", "request_hash", "status_code", "response_body", "created_at"]
