"""The inbox, notification preferences and WeChat consents of the signed-in person.

notify sits below accounts, so this router names no authentication itself: the project mounts
it with the bearer token (shanhuo.api), and every operation here reads `request.auth`."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from marketplace.idempotency import idempotent
from marketplace.pagination import PageParams, page_schema
from notify import selectors, services
from notify.schemas import (
    NotificationOut,
    PreferencesIn,
    PreferencesOut,
    ReadIn,
    ReadOut,
    UnreadOut,
    WechatGrantIn,
    WechatGrantOut,
)

router = Router(tags=["notify"])


@router.get("/me/notifications", response=page_schema(NotificationOut))
def notification_list(request: HttpRequest, page: Query[PageParams]):
    """The inbox, newest first, each with what became of it on every channel (the inbox is
    always one of them)."""
    return selectors.notification_page(user=request.auth, params=page)


@router.post("/me/notifications/read", response=ReadOut)
@idempotent(ReadOut)
def notification_read(request: HttpRequest, payload: ReadIn):
    """Mark `ids` (the caller's; others are ignored) or `all` as read."""
    marked = services.notifications_mark_read(user=request.auth, ids=payload.ids,
                                              all_=payload.all)
    return {"marked": marked, "unread": selectors.unread_count(user=request.auth)}


@router.get("/me/notifications/unread-count", response=UnreadOut)
def notification_unread_count(request: HttpRequest):
    """How many notifications are unread (the badge)."""
    return {"count": selectors.unread_count(user=request.auth)}


@router.get("/me/notification-preferences", response=PreferencesOut)
def preferences_get(request: HttpRequest):
    """Channels per event (defaults for events not chosen) and quiet hours (Asia/Shanghai)."""
    return selectors.preferences_of(user=request.auth)


@router.put("/me/notification-preferences", response=PreferencesOut)
def preferences_put(request: HttpRequest, payload: PreferencesIn):
    """Replace the preferences. Urgent events (a paid order to pack, a claim) still go at any
    hour; the rest wait out quiet hours on WeChat and SMS."""
    services.preferences_set(user=request.auth, events_chosen=payload.events,
                             quiet_hours=payload.quiet_hours)
    return selectors.preferences_of(user=request.auth)


@router.post("/me/wechat-grants", response={201: WechatGrantOut})
@idempotent(WechatGrantOut, status=201)
def wechat_grant_create(request: HttpRequest, payload: WechatGrantIn):
    """Record consents the app collected with wx.requestSubscribeMessage (`count` accepts of
    `template_id`): one consent, one message."""
    grant = services.wechat_grant_record(user=request.auth, template_id=payload.template_id,
                                         count=payload.count)
    return Status(201, grant)
