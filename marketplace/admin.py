from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from marketplace.models import IdempotencyKey, Token, User

admin.site.site_header = "山货 Shanhuo 管理后台"
admin.site.site_title = "山货 Shanhuo"
admin.site.index_title = "后台管理"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("Shanhuo", {"fields": ("display_name", "phone")}),)
    list_display = ["username", "display_name", "phone", "is_staff", "date_joined"]
    search_fields = ["username", "display_name", "phone"]


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "created_at", "expires_at", "revoked_at"]
    readonly_fields = ["key_hash"]
    raw_id_fields = ["user"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "status_code", "created_at"]
    readonly_fields = ["user", "key", "request_hash", "status_code", "response_body", "created_at"]
