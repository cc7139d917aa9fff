"""The back office of the books (the ledger's own pages are `ledger.admin`): statements are
read-only; payouts are created and marked paid or failed through the services, so every one of
them is posted."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from books import services
from books.models import Payout, Statement
from ledger.admin import yuan_column
from ledger.amounts import yuan
from ledger.models import Account
from marketplace.admin import ReadOnlyAdmin, show_refusal, staff_form_page
from marketplace.errors import DomainError


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["id", "producer", "period_start", "period_end", "opening", "sales",
                    "refunds", "payouts", "closing", "closed_at"]
    list_filter = ["period_start"]
    search_fields = ["producer__name"]
    list_select_related = ["producer"]
    opening = yuan_column("opening_fen", "期初")
    sales = yuan_column("sales_fen", "货款")
    refunds = yuan_column("refunds_fen", "退款")
    payouts = yuan_column("payouts_fen", "提现")
    closing = yuan_column("closing_fen", "期末")


# --- Payouts -----------------------------------------------------------------------------------


class AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Account) -> str:
        return f"{obj} (可提现 ¥{yuan(obj.balance_fen)})"


class PayoutCreateForm(forms.Form):
    account = AccountChoice(
        queryset=Account.objects.filter(bucket=Account.Bucket.AVAILABLE,
                                        kind__in=[Account.Kind.FARM, Account.Kind.PROMOTER]),
        label="收款方（可提现余额）",
    )
    amount = forms.DecimalField(label="金额（元）", min_value=0.01, max_digits=12,
                                decimal_places=2)
    method = forms.ChoiceField(label="方式", choices=Payout.Method.choices)


class PayoutPaidForm(forms.Form):
    reference = forms.CharField(label="转账流水号", max_length=128)


class PayoutFailedForm(forms.Form):
    reason = forms.CharField(label="失败原因", max_length=255, required=False)


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ["id", "account", "amount", "method", "status", "reference", "created_by",
                    "created_at", "paid_at"]
    list_filter = ["status", "method", "account__kind"]
    search_fields = ["reference", "account__name"]
    list_select_related = ["account", "created_by"]
    readonly_fields = ["account", "amount", "method", "status", "reference", "failure_reason",
                       "created_by", "created_at", "paid_at", "failed_at", "next_step"]
    fields = readonly_fields
    amount = yuan_column("amount_fen", "金额")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the page shows the payout; the buttons below act on it

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="操作")
    def next_step(self, payout: Payout) -> str:
        if payout.status != Payout.Status.PENDING:
            return "-"
        return format_html(
            '<a class="button" href="{}">标记为已打款</a> '
            '<a class="button" href="{}">标记为失败</a>',
            reverse("admin:books_payout_paid", args=[payout.pk]),
            reverse("admin:books_payout_failed", args=[payout.pk]),
        )

    def get_urls(self):
        own = [
            path("<int:payout_id>/paid/", self.admin_site.admin_view(self.mark_paid_view),
                 name="books_payout_paid"),
            path("<int:payout_id>/failed/", self.admin_site.admin_view(self.mark_failed_view),
                 name="books_payout_failed"),
        ]
        return own + super().get_urls()

    def _render(self, request: HttpRequest, form: forms.Form, title: str, payout=None):
        return staff_form_page(self, request, form, title, "admin/books/payout/form.html",
                               payout=payout,
                               payout_amount=yuan(payout.amount_fen) if payout else None)

    def _done(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:books_payout_changelist"))

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        """Create a payout: a form error (and nothing written) when the amount is more than the
        available balance, also when another staff member spent it a moment before."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PayoutCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payout = services.payout_create(
                    account_id=form.cleaned_data["account"].pk,
                    amount=form.cleaned_data["amount"], staff=request.user,
                    method=form.cleaned_data["method"],
                )
            except DomainError as exc:
                show_refusal(form, exc)
            else:
                self.message_user(request, f"提现 {payout.pk} 已创建：¥{yuan(payout.amount_fen)}")
                return self._done()
        return self._render(request, form, "发起提现打款")

    def mark_paid_view(self, request: HttpRequest, payout_id: int):
        if not self.has_add_permission(request):
            raise PermissionDenied
        payout = get_object_or_404(Payout, pk=payout_id)
        form = PayoutPaidForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.payout_mark_paid(payout_id=payout.pk,
                                          reference=form.cleaned_data["reference"])
            except DomainError as exc:
                show_refusal(form, exc)
            else:
                self.message_user(request, f"提现 {payout.pk} 已标记为已打款")
                return self._done()
        return self._render(request, form, f"提现 {payout.pk}：标记为已打款", payout)

    def mark_failed_view(self, request: HttpRequest, payout_id: int):
        if not self.has_add_permission(request):
            raise PermissionDenied
        payout = get_object_or_404(Payout, pk=payout_id)
        form = PayoutFailedForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.payout_mark_failed(payout_id=payout.pk,
                                            reason=form.cleaned_data["reason"])
            except DomainError as exc:
                show_refusal(form, exc)
            else:
                self.message_user(request, f"提现 {payout.pk} 已标记为失败，金额退回可提现余额",
                                  messages.WARNING)
                return self._done()
        return self._render(request, form, f"提现 {payout.pk}：标记为失败", payout)
