from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import Token, User
from accounts.usernames import username_key, username_problem


class UsernameRulesMixin:
    """The admin refuses what registration refuses: confusable names and a name that differs
    from another account's only in case or width (instead of a database error on save)."""

    def clean_username(self):
        # instead of Django's case-insensitive check: this one also folds width and confusables
        username = self.cleaned_data.get("username")
        if not username:
            return username
        problem = username_problem(username)
        if problem:
            raise forms.ValidationError(problem)
        others = User.objects.filter(username_key=username_key(username))
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("This username is taken.")
        return username


class ShanhuoUserCreationForm(UsernameRulesMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User


class ShanhuoUserChangeForm(UsernameRulesMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = ShanhuoUserChangeForm
    add_form = ShanhuoUserCreationForm
    fieldsets = BaseUserAdmin.fieldsets + (("Shanhuo", {"fields": ("display_name", "phone")}),)
    list_display = ["username", "display_name", "phone", "is_staff", "date_joined"]
    search_fields = ["username", "display_name", "phone"]


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "created_at", "expires_at", "revoked_at"]
    readonly_fields = ["key_hash"]
    raw_id_fields = ["user"]
