"""Which click an order follows. `/p/{code}` records a click and hands the visitor a signed
visit: the link's id and a random visitor id, stamped with the time (a query parameter `visit`
on the landing URL for the app, and a cookie for the browser). The app sends it back with the
order (`promo_visit`). An order credits the promoter only when its visit is one our redirect
signed, for the link of its `promo_code`, less than PROMO_ATTRIBUTION_WINDOW_DAYS old: a code
typed in, copied or guessed without a click earns nothing.
"""

import secrets

from django.conf import settings
from django.core import signing

SALT = "shanhuo.promo-visit"
COOKIE = "shanhuo_visit"
QUERY = "visit"


def visit_issue(*, link_id: int) -> str:
    """A signed visit of the link, for the visitor the redirect is answering."""
    return signing.dumps({"l": link_id, "v": secrets.token_urlsafe(9)}, salt=SALT, compress=True)


def visit_link_id(visit: str) -> int | None:
    """The link a visit was signed for, if it is ours and inside the attribution window."""
    return visit_read(visit)[0]


def visit_read(visit: str) -> tuple[int | None, str]:
    """(the link a visit was signed for, its visitor id), if it is ours and inside the
    attribution window; else (None, "")."""
    if not visit or len(visit) > 512:
        return None, ""
    try:
        data = signing.loads(visit, salt=SALT,
                             max_age=settings.PROMO_ATTRIBUTION_WINDOW_DAYS * 24 * 3600)
    except signing.BadSignature:  # also SignatureExpired
        return None, ""
    link_id = data.get("l") if isinstance(data, dict) else None
    if not isinstance(link_id, int) or isinstance(link_id, bool):
        return None, ""
    visitor = data.get("v")
    return link_id, visitor[:32] if isinstance(visitor, str) else ""
