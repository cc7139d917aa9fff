"""Pages for people (not JSON): the trace page a QR label opens, the label itself, and the
listing page a share link lands on."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from marketplace.errors import NotFound
from producers import selectors, services
from producers.tracecodes import qr_png


@require_safe
def trace_page(request: HttpRequest, trace_code: str) -> HttpResponse:
    try:
        if request.method == "GET":  # a HEAD (a link checker, a preview) is not a look
            services.batch_scan(trace_code=trace_code)
        context = selectors.trace_view(trace_code=trace_code)
    except NotFound as exc:
        raise Http404("No harvest lot has this trace code.") from exc
    response = render(request, "producers/trace.html", context)
    # Every look is a scan: never serve the page from a shared cache.
    response["Cache-Control"] = "no-cache"
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
    link that opens the app."""
    try:
        context = selectors.listing_page(listing_id=listing_id)
    except NotFound as exc:
        raise Http404("No such listing.") from exc
    return render(request, "producers/listing.html", context)
