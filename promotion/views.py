"""The share link a promoter hands out: /p/{code}, at the site root."""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.views.decorators.http import require_safe

from marketplace.visitors import client_address
from promotion import attribution, selectors, services

logger = logging.getLogger(__name__)


@require_safe
def promo_redirect(request: HttpRequest, code: str) -> HttpResponseRedirect:
    """302 to the landing of the link's listing (PROMO_LANDING_URL) or to its harvest lot's
    trace page. The destination comes only from the stored link: no query parameter can change
    it. Unknown code -> 404 (Django's HTML not-found page: people reach this from a browser).
    The click costs one Redis round trip or one INSERT; bots are redirected, not counted."""
    link = selectors.link_for_redirect(code=code)
    if link is None:
        raise Http404("No such link.")
    counted = False
    if request.method == "GET":
        try:
            counted = services.click_record(
                link_id=link.id,
                client_address=client_address(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except DatabaseError:  # a lost click must never cost the visitor the redirect
            logger.exception("click on link %s not counted", link.id)
    landing = services.landing_url(link)
    # a visit to hand back with an order: only for a counted click of a link to a listing
    visit = (attribution.visit_issue(link_id=link.id)
             if counted and link.listing_id is not None else None)
    if visit:  # the app reads it from the landing URL and sends it back with the order
        landing += ("&" if "?" in landing else "?") + urlencode({attribution.QUERY: visit})
    response = HttpResponseRedirect(landing)
    if visit:
        response.set_cookie(attribution.COOKIE, visit, httponly=True, samesite="Lax",
                            secure=request.is_secure(),
                            max_age=settings.PROMO_ATTRIBUTION_WINDOW_DAYS * 24 * 3600)
    # every visit must reach us to be counted, and no cache may keep one visitor's redirect
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
