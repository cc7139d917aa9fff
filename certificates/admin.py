"""The back office: staff verify or reject a seller's verification and a farm's certificates
(a rejection with its reason), looking at the files (served to staff only, from the private
storage). Each decision goes through the service, which tells the farm. The id number is
never shown: its masked form, and the other farms that gave the same number, are."""

from django import forms
from django.contrib import admin, messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from certificates import services
from certificates.models import Certificate, SellerVerification, VerificationFile
from marketplace.errors import DomainError

DECISIONS = [("", "—"), ("verify", "核验通过"), ("reject", "驳回（写明原因）")]


class DecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(choices=DECISIONS, required=False, label="审核")
    decision_reason = forms.CharField(required=False, label="驳回原因",
                                      widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        fields: list[str] = []

    def clean(self):
        data = super().clean()
        if data.get("decision") and self.instance.status != "pending":
            raise forms.ValidationError("只能审核待审核的记录。")
        if data.get("decision") == "reject" and not (data.get("decision_reason") or "").strip():
            raise forms.ValidationError("驳回时请写明原因。")
        return data


class _Decides(admin.ModelAdmin):
    form = DecisionForm
    decide = None  # (pk, *, verified, reason, staff)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        try:
            type(self).decide(obj.pk, verified=decision == "verify",
                              reason=form.cleaned_data.get("decision_reason", ""),
                              staff=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    def get_urls(self):
        name = self.model._meta.model_name
        return [path("<int:pk>/file/<int:file_id>/", self.admin_site.admin_view(self.file_view),
                     name=f"certificates_{name}_file"), *super().get_urls()]


@admin.register(SellerVerification)
class SellerVerificationAdmin(_Decides):
    list_display = ["producer", "kind", "name", "number_masked", "status", "submitted_at",
                    "recheck_due"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "producer__name"]
    readonly_fields = ["producer", "kind", "name", "number_kind", "number_masked", "status",
                       "reason", "submitted_at", "verified_at", "recheck_due", "decided_by",
                       "documents", "same_number"]
    fields = [*readonly_fields, "decision", "decision_reason"]

    @staticmethod
    def decide(pk, **kwargs):
        return services.verification_decide(verification_id=pk, **kwargs)

    @admin.display(description="证照文件")
    def documents(self, obj):
        return format_html_join(
            " ", '<a href="{}" target="_blank">文件 {}（{}）</a>',
            ((reverse("admin:certificates_sellerverification_file", args=[obj.pk, f.pk]), n,
              f.content_type) for n, f in enumerate(obj.files.all(), 1))) or "—"

    @admin.display(description="同一号码的其他店铺")
    def same_number(self, obj):
        others = (SellerVerification.objects.filter(number_fingerprint=obj.number_fingerprint)
                  .exclude(pk=obj.pk).select_related("producer"))
        return "、".join(str(other.producer) for other in others) or "—"

    def file_view(self, request, pk: int, file_id: int):
        if not self.has_view_permission(request):
            raise Http404
        item = get_object_or_404(VerificationFile, pk=file_id, verification_id=pk)
        return FileResponse(item.file.open("rb"), content_type=item.content_type)


@admin.register(Certificate)
class CertificateAdmin(_Decides):
    list_display = ["id", "producer", "batch", "kind", "number", "issuer", "issued_on",
                    "expires_on", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["number", "issuer", "producer__name", "batch__trace_code"]
    readonly_fields = ["producer", "batch", "kind", "status", "number", "issuer", "issued_on",
                       "expires_on", "document", "reason", "verified_at", "decided_by",
                       "product", "quantity", "origin_region", "committed_by", "contact",
                       "basis", "commitment", "sources"]
    fields = [*readonly_fields, "decision", "decision_reason"]

    @staticmethod
    def decide(pk, **kwargs):
        return services.certificate_decide(certificate_id=pk, **kwargs)

    @admin.display(description="文件")
    def document(self, obj):
        if not obj.file:
            return "—"
        url = reverse("admin:certificates_certificate_file", args=[obj.pk, 0])
        return format_html('<a href="{}" target="_blank">查看文件（{}）</a>', url,
                           obj.content_type)

    def file_view(self, request, pk: int, file_id: int):
        if not self.has_view_permission(request):
            raise Http404
        certificate = get_object_or_404(Certificate, pk=pk)
        if not certificate.file:
            raise Http404
        return FileResponse(certificate.file.open("rb"), content_type=certificate.content_type)
