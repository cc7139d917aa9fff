from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from marketplace.errors import DomainError
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


def show_refusal(form: forms.Form, exc: DomainError) -> None:
    """A service's refusal on the staff form that asked for it: each detail on its field when
    the form has that field, else above the form; nothing was written."""
    details = exc.details if isinstance(exc.details, list) else []
    for item in details or [{"field": None, "message": exc.message}]:
        field = item.get("field") if item.get("field") in form.fields else None
        form.add_error(field, item["message"])


def staff_form_page(model_admin: admin.ModelAdmin, request: HttpRequest, form: forms.Form,
                    title: str, template: str = "admin/staff_form.html",
                    **context) -> TemplateResponse:
    """The page of a form staff fill in to have a service act (admin/staff_form.html, or a
    template extending it that says what the form is about)."""
    return TemplateResponse(request, template, {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
        "form": form, "title": title, **context})


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "status_code", "created_at"]
    readonly_fields = ["user", "key", "request_hash", "status_code", "response_body", "created_at"]
