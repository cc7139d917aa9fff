"""Payments, the platforms' callbacks and refunds in the back office. Payments and callbacks
are read-only (the services write them). Staff give money back by adding a refund (order,
amount, reason): it goes through `refund_request`, so the provider, the limits and the books
are the same as for any other refund. Nothing here edits a refund afterwards."""

import secrets
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect

from marketplace.admin import ReadOnlyAdmin
from marketplace.errors import DomainError
from orders.admin import ReadOnlyInline
from orders.models import Order
from payments.models import Payment, PaymentWebhookEvent, Refund
from payments.services import refund_request, refundable


class PaymentInline(ReadOnlyInline):
    """An order's payments on its page (checkout.admin puts it there)."""

    model = Payment
    fields = ["provider", "method", "provider_ref", "transaction_id", "amount", "status",
              "booked", "created_at", "succeeded_at", "closed_at"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["provider_ref", "provider", "method", "order", "amount", "status",
                    "booked", "created_at", "succeeded_at"]
    list_filter = ["provider", "status"]
    search_fields = ["provider_ref", "transaction_id", "order__number"]
    list_select_related = ["order"]


@admin.register(PaymentWebhookEvent)
class PaymentWebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "provider", "event_type", "outcome", "received_at"]
    list_filter = ["provider", "event_type", "outcome"]
    search_fields = ["event_id"]


class StaffRefundForm(forms.ModelForm):
    order = forms.ModelChoiceField(queryset=Order.objects.filter(payments__booked=True),
                                   help_text="订单号（已付款的订单）")
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(max_length=80)

    class Meta:
        model = Refund
        fields = ["order", "amount", "reason"]

    def clean(self) -> dict:
        data = super().clean()
        order, amount = data.get("order"), data.get("amount")
        if order is not None and amount is not None:
            left = refundable(order=order)
            if amount > left:
                raise forms.ValidationError(f"More than is left of the payment ({left}).")
        return data


class _Refused(Exception):
    pass


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["number", "order", "amount", "status", "reason", "created_at", "settled_at"]
    list_filter = ["status", "payment__provider"]
    search_fields = ["number", "order__number", "refund_id"]
    list_select_related = ["order"]
    raw_id_fields = ["order"]
    form = StaffRefundForm

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if obj is None:
            return []
        return ["number", "order", "payment", "amount", "reason", "status", "refund_id",
                "failure", "requested_by", "created_at", "settled_at", "checked_at"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["order", "amount", "reason"] if obj is None else \
            self.get_readonly_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Refund, form, change: bool) -> None:
        data = form.cleaned_data
        try:
            refund = refund_request(order=data["order"], amount=data["amount"],
                                    reason=data["reason"], requested_by=request.user,
                                    key=f"staff:{request.user.pk}:{secrets.token_hex(12)}")
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            raise _Refused from exc
        obj.pk = refund.pk

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except _Refused:  # refused by the service (more than is left): nothing was written
            return HttpResponseRedirect(request.path)


