"""The order's page in the back office: the orders' admin, with the staff's cancel, which goes
through checkout like every other cancel (stock back, commissions, books, refunds), and its
payments (payments' inline, between its parcels and its history)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from checkout.services import order_cancel_by_staff
from marketplace.errors import DomainError
from orders.admin import OrderAdmin
from orders.models import Order
from payments.admin import PaymentInline


@admin.register(Order)
class OrderCheckoutAdmin(OrderAdmin):
    inlines = [*OrderAdmin.inlines[:2], PaymentInline, *OrderAdmin.inlines[2:]]
    actions = ["cancel_orders"]

    @admin.action(description="Cancel selected orders (stock back, refund if paid)")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for order in queryset:
            try:
                order_cancel_by_staff(order=order, staff=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} order(s) cancelled.")
