"""The label of a lot's 承诺达标合格证 (not JSON): a PNG to print, public like the lot's QR label
(what it says is printed on every box)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from certificates import label, selectors, texts
from marketplace.errors import NotFound


@require_safe
def certificate_label(request: HttpRequest, batch_id: int, certificate_id: int) -> HttpResponse:
    try:
        certificate = selectors.label_certificate(batch_id=batch_id,
                                                  certificate_id=certificate_id)
    except NotFound as exc:
        raise Http404("No such certificate.") from exc
    region = certificate.origin_region
    fields = [
        ("产品", certificate.product),
        ("数量", certificate.quantity or "—"),
        ("产地", region.name if region is not None else "—"),
        ("日期", f"{certificate.issued_on:%Y-%m-%d}"),
        ("承诺", certificate.committed_by),
        ("电话", certificate.contact or "—"),
        ("依据", texts.BASIS_NAMES.get(certificate.basis, certificate.basis)),
    ]
    if certificate.sources:
        fields.append(("社员", "、".join(s["member"] for s in certificate.sources)))
    png = label.label_png(trace_code=certificate.batch.trace_code, fields=fields)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Disposition"] = (
        f'inline; filename="chengnuo-{certificate.batch.trace_code}-{certificate.pk}.png"')
    return response
