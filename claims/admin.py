"""The back office for claims: every claim with its lines, both parties' evidence (the farm's
packing photos and videos too), its timeline, the abuse rules that flagged it; and staff's
decision on an escalated claim (amount, courier liable), through the service."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from claims import abuse, rules, services
from claims.models import Claim, ClaimEvent, ClaimLine, Evidence
from marketplace.admin import ReadOnlyAdmin, show_refusal, staff_form_page
from marketplace.errors import DomainError


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ClaimLineInline(_ReadOnlyInline):
    model = ClaimLine
    fields = readonly_fields = ["line", "quantity", "damage_pct", "proposed_pct"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line")


class ClaimEventInline(_ReadOnlyInline):
    model = ClaimEvent
    fields = readonly_fields = ["created_at", "actor", "user", "action", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class DecideForm(forms.Form):
    amount = forms.DecimalField(label="退款金额（元）", min_value=0, max_digits=12,
                                decimal_places=2)
    courier_liable = forms.BooleanField(label="快递责任（平台承担，不向商家扣款）",
                                        required=False)
    note = forms.CharField(label="说明", max_length=400, required=False)


def _evidence_html(items) -> str:
    return format_html_join(
        " ", '<a href="{}" target="_blank">{}（{}{}）</a>',
        ((e.file.url, e.get_kind_display(), e.get_party_display(),
          "，拍摄早于发货" if e.taken_before_shipped else "") for e in items)) or "-"


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "producer", "kind", "status", "amount", "decided_amount",
                    "needs_staff", "respond_by", "created_at"]
    list_filter = ["status", "kind", "courier_liable"]
    search_fields = ["order__number"]
    list_select_related = ["order", "producer"]
    readonly_fields = ["order", "shipment", "buyer", "producer", "kind", "status", "note",
                       "amount", "proposed_amount", "decided_amount", "courier_liable",
                       "flags", "respond_by", "escalate_by", "answered_at", "closed_at",
                       "refund", "evidence", "next_step"]
    fields = readonly_fields
    inlines = [ClaimLineInline, ClaimEventInline]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the page shows the claim; the decision is its own form

    @admin.display(boolean=True, description="需人工审核")
    def needs_staff(self, claim: Claim) -> bool:
        return claim.needs_staff

    @admin.display(description="风险提示")
    def flags(self, claim: Claim) -> str:
        return "；".join(abuse.REASONS.get(r, r) for r in claim.staff_reasons) or "-"

    @admin.display(description="凭证（买家、商家、发货包装）")
    def evidence(self, claim: Claim) -> str:
        return _evidence_html(Evidence.objects.filter(
            Q(claim__isnull=True) | Q(claim=claim), shipment_id=claim.shipment_id).order_by("id"))

    @admin.display(description="操作")
    def next_step(self, claim: Claim) -> str:
        if claim.status != Claim.Status.ESCALATED:
            return "-"
        return format_html('<a class="button" href="{}">裁定</a>',
                           reverse("admin:claims_claim_decide", args=[claim.pk]))

    def get_urls(self):
        return [path("<int:claim_id>/decide/", self.admin_site.admin_view(self.decide_view),
                     name="claims_claim_decide"), *super().get_urls()]

    def decide_view(self, request: HttpRequest, claim_id: int):
        if not request.user.has_perm("claims.change_claim"):
            raise PermissionDenied
        claim = get_object_or_404(Claim.objects.select_related("order", "shipment__order"),
                                  pk=claim_id)
        parts = [(cl.line, cl.quantity, 100) for cl in claim.lines.select_related("line")]
        cap = rules.price(shipment=claim.shipment, parts=parts, exclude_claim_id=claim.pk).cap
        form = DecideForm(request.POST or None, initial={
            "amount": claim.proposed_amount if claim.proposed_amount is not None
            else claim.amount})
        if request.method == "POST" and form.is_valid():
            try:
                services.claim_decide(claim_id=claim.pk, staff=request.user,
                                      amount=form.cleaned_data["amount"],
                                      courier_liable=form.cleaned_data["courier_liable"],
                                      note=form.cleaned_data["note"])
            except DomainError as exc:
                show_refusal(form, exc)
            else:
                self.message_user(request, f"售后 {claim.pk} 已裁定")
                return HttpResponseRedirect(reverse("admin:claims_claim_change",
                                                    args=[claim.pk]))
        return staff_form_page(self, request, form, f"裁定售后 {claim.pk}",
                               "admin/claims/claim/decide.html", claim=claim, cap=cap,
                               submit_label="裁定")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["id", "claim", "shipment", "party", "kind", "taken_before_shipped",
                    "phash", "created_at"]
    list_filter = ["party", "kind", "taken_before_shipped"]
    search_fields = ["phash"]
    readonly_fields = ["claim", "shipment", "party", "kind", "file", "size", "phash",
                       "taken_at", "taken_before_shipped", "uploaded_by", "created_at"]
