from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Token, User


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
