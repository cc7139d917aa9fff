"""Notify's reads for the API: the inbox, contact points, preferences."""

from django.db.models import Prefetch

from marketplace.pagination import Page, PageParams, paginate
from notify import events
from notify.models import ContactPoint, Delivery, Notification, Preference
from notify.quiet import DEFAULT_END, DEFAULT_START

INBOX = {"channel": "inbox", "status": "sent", "reason": None}
# a delivery as the person sees it: not yet out is `pending`
SHOWN_STATUS = {
    Delivery.Status.WAITING: "pending", Delivery.Status.PENDING: "pending",
    Delivery.Status.SENDING: "pending", Delivery.Status.SENT: "sent",
    Delivery.Status.FAILED: "failed", Delivery.Status.SKIPPED: "skipped",
}


def _delivery(delivery: Delivery) -> dict:
    return {"channel": delivery.channel, "status": SHOWN_STATUS[delivery.status],
            "reason": delivery.reason or None}


def notification_page(*, user, params: PageParams) -> Page:
    """Newest first, with deliveries (the inbox first): two queries whatever the page size."""
    rows = Notification.objects.filter(user=user).prefetch_related(
        Prefetch("deliveries", queryset=Delivery.objects.order_by("id")))
    page = paginate(rows, params, ordering=["-id"], scope="inbox")
    page.items = [{
        "id": n.pk, "event": n.event, "title": n.title, "body": n.body, "data": n.data,
        "created_at": n.created_at, "read_at": n.read_at,
        "deliveries": [INBOX, *(_delivery(d) for d in n.deliveries.all())],
    } for n in page.items]
    return page


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def contact_page(*, user, params: PageParams) -> Page:
    return paginate(ContactPoint.objects.filter(user=user), params, ordering=["-id"],
                    scope="contacts")


def preferences_of(*, user) -> dict:
    preference = Preference.objects.filter(user=user).first()
    chosen = preference.events if preference else {}
    start, end = ((preference.quiet_start, preference.quiet_end) if preference
                  else (DEFAULT_START, DEFAULT_END))
    return {
        "events": {name: chosen.get(name, events.DEFAULT_CHANNELS) for name in events.EVENTS},
        "quiet_hours": ({"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
                        if start is not None and end is not None else None),
    }


def user_id_for_phone(phone: str) -> int | None:
    """The account whose verified phone this is (phone sign-in)."""
    return (ContactPoint.objects.filter(channel="sms", address=phone, verified_at__isnull=False)
            .values_list("user_id", flat=True).first())
