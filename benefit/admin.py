"""The back office of public benefit: staff register charities (their unified social credit
code is checked) and projects, and record disbursements through the service (so each is posted
to the books and the public ledger, and never above the confirmed balance). The public ledger
and pledges are read-only here."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from benefit import services
from benefit.models import (
    Charity,
    Disbursement,
    LinePledge,
    ListingPledge,
    Project,
    PromoterPledge,
    PublicEntry,
)
from ledger.amounts import yuan
from ledger.models import Account
from marketplace.admin import ReadOnlyAdmin, show_refusal, staff_form_page
from marketplace.errors import DomainError
from promotion.models import Video


@admin.register(Charity)
class CharityAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "registration_code", "created_at"]
    search_fields = ["name", "registration_code"]
    filter_horizontal = ["members"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "charity", "region", "goal_amount", "status", "starts_on",
                    "ends_on"]
    list_filter = ["status"]
    search_fields = ["title", "charity__name"]
    list_select_related = ["charity", "region"]
    autocomplete_fields = ["region"]


@admin.register(PublicEntry)
class PublicEntryAdmin(ReadOnlyAdmin):
    list_display = ["project", "seq", "kind", "amount", "listing_id", "order_id", "created_at",
                    "entry_hash"]
    list_filter = ["kind", "project"]
    list_select_related = ["project"]

    @admin.display(description="金额")
    def amount(self, entry: PublicEntry) -> str:
        return f"¥{yuan(entry.amount_fen)}"


@admin.register(ListingPledge)
class ListingPledgeAdmin(ReadOnlyAdmin):
    list_display = ["listing", "project", "kind", "value", "updated_at"]
    list_select_related = ["listing", "project"]


@admin.register(PromoterPledge)
class PromoterPledgeAdmin(ReadOnlyAdmin):
    list_display = ["promoter", "project", "percent", "updated_at"]
    list_select_related = ["promoter", "project"]


@admin.register(LinePledge)
class LinePledgeAdmin(ReadOnlyAdmin):
    list_display = ["order", "line", "source", "project", "kind", "value", "amount"]
    list_select_related = ["order", "line", "project"]


class ProjectChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Project) -> str:
        available = Account.objects.filter(
            kind=Account.Kind.BENEFIT_PROJECT, holder_id=obj.pk,
            bucket=Account.Bucket.AVAILABLE).values_list("balance_fen", flat=True).first()
        return f"{obj.title}（可拨付 ¥{yuan(available or 0)}）"


class DisbursementForm(forms.Form):
    project = ProjectChoice(queryset=Project.objects.all(), label="项目")
    amount = forms.DecimalField(label="金额（元）", min_value=0.01, max_digits=12,
                                decimal_places=2)
    paid_on = forms.DateField(label="拨付日期", help_text="YYYY-MM-DD")
    receipt_number = forms.CharField(label="捐赠票据号", max_length=64)
    note = forms.CharField(label="说明", max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    evidence_videos = forms.ModelMultipleChoiceField(
        queryset=Video.objects.exclude(status=Video.Status.FAILED), required=False,
        label="凭证视频")
    evidence_urls = forms.CharField(label="凭证图片链接（每行一个）", required=False,
                                    widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Disbursement)
class DisbursementAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "amount", "paid_on", "receipt_number", "created_by",
                    "created_at"]
    list_select_related = ["project", "created_by"]
    search_fields = ["receipt_number", "project__title"]
    readonly_fields = ["project", "amount", "paid_on", "receipt_number", "note",
                       "evidence_videos", "evidence_urls", "created_by", "created_at"]
    fields = readonly_fields

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        """Record a disbursement: a form error (and nothing written or posted) when it is more
        than the project's confirmed balance, also when another staff member spent it a moment
        before."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DisbursementForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                disbursement = services.disbursement_create(
                    project_id=data["project"].pk, amount=data["amount"],
                    paid_on=data["paid_on"], receipt_number=data["receipt_number"],
                    note=data["note"],
                    evidence_video_ids=[v.pk for v in data["evidence_videos"]],
                    evidence_urls=data["evidence_urls"].split(), staff=request.user)
            except DomainError as exc:
                show_refusal(form, exc)
            else:
                self.message_user(request, f"拨付 {disbursement.pk} 已记录：¥{disbursement.amount}")
                return HttpResponseRedirect(reverse("admin:benefit_disbursement_changelist"))
        return staff_form_page(self, request, form, "记录公益拨付")
