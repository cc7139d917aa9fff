"""Pages for people (not JSON): the trace page a QR label opens, the label itself, and the
listing page a share link lands on."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from marketplace.errors import NotFound
from marketplace.schemas import MAX_ID
from marketplace.visitors import client_address
from producers import services
from producers.tracecodes import qr_png
from storefront import selectors, trace


def count_look(request: HttpRequest):
    """The trace page's look counter for this request: a GET by a person counts (once a day);
    a HEAD (a link checker) does not."""
    if request.method != "GET":
        return None
    return lambda batch_id: services.trace_look(
        batch_id=batch_id, address=client_address(request),
        user_agent=request.headers.get("User-Agent", ""))


@require_safe
def trace_page(request: HttpRequest, trace_code: str) -> HttpResponse:
    try:
        view = selectors.trace_view(trace_code=trace_code, look=count_look(request))
    except NotFound as exc:
        raise Http404("No harvest lot has this trace code.") from exc
    context = trace.trace_page_context(view)
    response = render(request, "storefront/trace.html", context)
    # Every look must reach us to be counted: no shared cache; a phone that has the page gets
    # a 304 while nothing but the count changed.
    response["Cache-Control"] = "no-cache"
    response["ETag"] = trace.etag(context, "html")
    return response


@require_safe
def trace_qr(request: HttpRequest, trace_code: str) -> HttpResponse:
    """The QR label (PNG) that opens the trace page. Fetching it is not a scan."""
    try:
        selectors.trace_batch(trace_code=trace_code)
    except NotFound as exc:
        raise Http404("No harvest lot has this trace code.") from exc
    response = HttpResponse(qr_png(trace_code), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Disposition"] = f'inline; filename="trace-{trace_code}.png"'
    return response


@require_safe
def listing_page(request: HttpRequest, listing_id: int) -> HttpResponse:
    """/l/{id}: the listing for a person who tapped a share link (`/p/{code}` lands here), on a
    phone, with no JavaScript: photos, price, the farm and its story, its own videos, and a
    link that opens the app; what one unit costs to send to `?region=<id>` (else the
    signed-in person's last shipping region) and the 不发货地区 by name."""
    region = request.GET.get("region", "")
    region_id = None
    if region:  # not a region id (or out of range): no such region, which the page says
        region_id = int(region) if region.isascii() and region.isdigit() and \
            len(region) <= 19 and int(region) <= MAX_ID else 0
    user = request.user if request.user.is_authenticated else None
    try:
        context = selectors.listing_page(listing_id=listing_id, region_id=region_id, viewer=user)
    except NotFound as exc:
        raise Http404("No such listing.") from exc
    context["certificates"] = trace.certificates_shown(context["certificates"])
    return render(request, "storefront/listing.html", context)
