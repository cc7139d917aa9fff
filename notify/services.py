"""Notify's writes: telling a person (the inbox row and its deliveries), sending a delivery
once, the contact points, consents and preferences.

The one call other apps make is `notify.notify(...)` (notify/__init__.py), inside the
transaction of the change it tells of. Its cost there is one INSERT of the inbox row and one of
the outbox intent that plans the deliveries after the commit (`deliveries_plan`); everything
that reads preferences, contacts and consents, and every call to a platform, happens after the
commit in a task.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from marketplace.errors import (
    Conflict,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from marketplace.sql import insert_unless_taken
from notify import events, tasks
from notify import registry as providers
from notify.models import (
    Channel,
    ContactPoint,
    Delivery,
    Notification,
    Preference,
    Template,
    WechatGrant,
)
from notify.providers.base import ConsentGone, Message, ProviderUnavailable, Refused
from notify.quiet import DEFAULT_END, DEFAULT_START, quiet_until
from outbox import enqueue

logger = logging.getLogger(__name__)

PHONE_CHANNELS = (Channel.WECHAT, Channel.SMS)
DEFAULT_CHANNELS = events.DEFAULT_CHANNELS


class SmsUnavailable(ServiceUnavailable):
    code = "sms_unavailable"
    message = "短信暂时无法发送，请稍后再试。"
    retry_after = 60


# --- Telling a person ---------------------------------------------------------------------

def notification_create(*, user_id: int, event: str, key: str, title: str, body: str,
                        data: dict | None = None) -> Notification | None:
    """The inbox row of `event` for the person, and the intent to deliver it after commit.
    Once per (person, event, key): a second call with the same key writes nothing and returns
    None. Call it inside the transaction of the change it tells of."""
    if not events.is_event(event):
        raise ValueError(f"unknown event {event!r}: add it to notify.events")
    notification = Notification(
        user_id=user_id, event=event, dedupe_key=str(key)[:120], title=title[:120], body=body,
        data=data or {}, urgent=events.is_urgent(event))
    if not insert_unless_taken(notification, unique=["user", "event", "dedupe_key"]):
        return None
    enqueue(tasks.plan_deliveries, notification.pk)
    return notification


def template_for(event: str, channel: str) -> Template | None:
    """The admin's template of the event on the channel, else (SMS) the one SMS_TEMPLATES
    names, with the message's body as its one variable (`content`; `code` for a code)."""
    template = Template.objects.filter(event=event, channel=channel, enabled=True).first()
    if template is not None:
        return template
    if channel == Channel.SMS and event in settings.SMS_TEMPLATES:
        word = "code" if event == events.SIGN_IN_CODE else "body"
        return Template(event=event, channel=channel,
                        template_id=settings.SMS_TEMPLATES[event], params=[[word, word]])
    return None


def _chosen_channels(preference: Preference | None, event: str) -> list[str]:
    if preference is not None and event in preference.events:
        return list(preference.events[event])
    return list(DEFAULT_CHANNELS)


def _quiet_hours(preference: Preference | None):
    if preference is None:
        return DEFAULT_START, DEFAULT_END
    return preference.quiet_start, preference.quiet_end


def _latest(contacts: list[ContactPoint], channel: str, *, verified: bool = False) -> str:
    found = [c for c in contacts if c.channel == channel and (c.verified_at or not verified)]
    return found[-1].address if found else ""


def _can_use(channel: str, event: str) -> tuple[object | None, Template | None, str]:
    """(provider, template, why not) of a channel for an event."""
    provider = providers.for_channel(channel)
    if provider is None:
        return None, None, "not_configured"
    template = template_for(event, channel)
    if template is None and provider.name not in ("console", "email"):
        return None, None, "no_template"
    return provider, template, ""


def _wechat_plan(notification: Notification, contacts) -> tuple[str, str, str]:
    """(openid, template id, why not) of the WeChat message, if one can go."""
    openid = _latest(contacts, Channel.WECHAT)
    if not openid:
        return "", "", "no_openid"
    provider, template, why = _can_use(Channel.WECHAT, notification.event)
    if provider is None:
        return "", "", why
    template_id = template.template_id if template else ""
    if template is not None and not WechatGrant.objects.filter(
            user_id=notification.user_id, template_id=template_id, remaining__gt=0).exists():
        return "", "", "no_consent"
    return openid, template_id, ""


def _sms_plan(notification: Notification, contacts) -> tuple[str, str, str]:
    phone = _latest(contacts, Channel.SMS, verified=True)
    if not phone:
        return "", "", "no_phone"
    provider, template, why = _can_use(Channel.SMS, notification.event)
    if provider is None:
        return "", "", why
    return phone, template.template_id if template else "", ""


def deliveries_plan(*, notification_id: int) -> list[int]:
    """Decide the notification's channels (after the commit that wrote it) and enqueue one
    intent per delivery. Running twice plans once (a delivery is unique per notification and
    channel). The phone gets one message: WeChat while a consent for the event's template is
    left, else SMS; e-mail as chosen. Outside urgent events, WeChat and SMS wait out the
    person's quiet hours (e-mail and the inbox do not: they make no sound)."""
    try:
        with transaction.atomic():
            notification = (Notification.objects.select_related("user")
                            .filter(pk=notification_id).first())
            if notification is None or notification.deliveries.exists():
                return []
            preference = Preference.objects.filter(user_id=notification.user_id).first()
            chosen = _chosen_channels(preference, notification.event)
            contacts = list(ContactPoint.objects.filter(user_id=notification.user_id)
                            .order_by("created_at", "id"))
            now = timezone.now()
            quiet_end = None if notification.urgent else quiet_until(
                now, *_quiet_hours(preference))
            rows: list[Delivery] = []

            def add(channel: str, address: str = "", template_id: str = "", why: str = ""):
                delivery = Delivery(notification=notification, channel=channel,
                                    address=address, template_id=template_id)
                if why:
                    delivery.status, delivery.reason = Delivery.Status.SKIPPED, why
                elif quiet_end is not None and channel in PHONE_CHANNELS:
                    delivery.status, delivery.due_at = Delivery.Status.WAITING, quiet_end
                rows.append(delivery)

            phone_done = False
            if Channel.WECHAT in chosen:
                openid, template_id, why = _wechat_plan(notification, contacts)
                add(Channel.WECHAT, openid, template_id, why)
                phone_done = not why
            if Channel.SMS in chosen and not phone_done:
                add(Channel.SMS, *_sms_plan(notification, contacts))
            if Channel.EMAIL in chosen:
                address = _latest(contacts, Channel.EMAIL) or notification.user.email
                add(Channel.EMAIL, address, "", "" if address else "no_address")
            Delivery.objects.bulk_create(rows)
            pending = [d.pk for d in rows if d.status == Delivery.Status.PENDING]
            for delivery_id in pending:
                enqueue(tasks.deliver, delivery_id)
            return pending
    except IntegrityError:
        return []  # planned meanwhile by another run of the same task


def _message(delivery: Delivery, notification: Notification, template: Template | None,
             *, title: str | None = None) -> Message:
    words = {"title": notification.title, "body": notification.body,
             **{k: str(v) for k, v in notification.data.items()}}
    params = [(str(variable), words.get(str(word), "")) for variable, word in
              (template.params if template else [])]
    return Message(to=delivery.address, title=title or notification.title,
                   text=notification.body, template_id=delivery.template_id, params=params,
                   page=template.page if template else "")


def _stale_before():
    # a run that claimed a delivery and died: surely over after the timeout of its call
    return timezone.now() - timedelta(seconds=settings.NOTIFY_HTTP_TIMEOUT * 2 + 60)


def _finish(delivery_id: int, **fields) -> None:
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
        claimed_at=None, updated_at=timezone.now(), **fields)


def delivery_send(*, delivery_id: int) -> str:
    """Send one delivery, once. A conditional UPDATE claims it (`pending` -> `sending`), so a
    second run of its task, at once or later, sends nothing; a run that died mid-send is taken
    over once its call has surely timed out. Returns what became of it; raises
    ProviderUnavailable when the provider is down (the delivery is `pending` again, and its
    task retries)."""
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        or Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING,
                                   claimed_at__lt=_stale_before()).update(
            claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "not_due"  # sent, failed, waiting, or being sent by another run
    delivery = Delivery.objects.select_related("notification").get(pk=delivery_id)
    notification = delivery.notification
    provider = providers.for_channel(delivery.channel)
    if provider is None:
        _finish(delivery_id, status=Delivery.Status.SKIPPED, reason="not_configured")
        return "skipped"
    template = (template_for(notification.event, delivery.channel)
                if delivery.channel != Channel.EMAIL else None)
    if delivery.channel == Channel.WECHAT and delivery.template_id:
        spent = WechatGrant.objects.filter(
            user_id=notification.user_id, template_id=delivery.template_id, remaining__gt=0,
        ).update(remaining=F("remaining") - 1)
        if not spent:
            return _consent_gone(delivery, "no consent left")
    try:
        reference = provider.send(_message(delivery, notification, template))
    except ConsentGone as exc:
        return _consent_gone(delivery, exc.reason)
    except Refused as exc:
        _finish(delivery_id, status=Delivery.Status.FAILED, reason=exc.reason)
        logger.warning("Delivery %s refused: %s", delivery_id, exc.reason)
        return "failed"
    except ProviderUnavailable as exc:
        if delivery.channel == Channel.WECHAT and delivery.template_id:
            WechatGrant.objects.filter(user_id=notification.user_id,
                                       template_id=delivery.template_id).update(
                remaining=F("remaining") + 1)  # not spent: nothing went out
        _finish(delivery_id, status=Delivery.Status.PENDING, reason=str(exc)[:300])
        raise
    _finish(delivery_id, status=Delivery.Status.SENT, reason="", sent_at=timezone.now(),
            provider_ref=reference[:120])
    return "sent"


def _consent_gone(delivery: Delivery, reason: str) -> str:
    """No consent left: the WeChat delivery fails and, when the person chose SMS for the event,
    the phone hears by SMS instead."""
    notification = delivery.notification
    with transaction.atomic():
        _finish(delivery.pk, status=Delivery.Status.FAILED, reason=f"consent_gone: {reason}")
        WechatGrant.objects.filter(user_id=notification.user_id,
                                   template_id=delivery.template_id).update(remaining=0)
        preference = Preference.objects.filter(user_id=notification.user_id).first()
        if Channel.SMS in _chosen_channels(preference, notification.event):
            contacts = list(ContactPoint.objects.filter(user_id=notification.user_id)
                            .order_by("created_at", "id"))
            phone, template_id, why = _sms_plan(notification, contacts)
            fallback = Delivery(notification=notification, channel=Channel.SMS, address=phone,
                                template_id=template_id)
            if why:
                fallback.status, fallback.reason = Delivery.Status.SKIPPED, why
            if insert_unless_taken(fallback, unique=["notification", "channel"]) and not why:
                enqueue(tasks.deliver, fallback.pk)
    return "failed"


def delivery_give_up(delivery_id: int, *, reason: str) -> None:
    """The provider stayed down through every retry (the deliver task's give_up): `failed`,
    with the last reason."""
    Delivery.objects.filter(pk=delivery_id, status__in=[
        Delivery.Status.PENDING, Delivery.Status.SENDING]).update(
        status=Delivery.Status.FAILED, reason=f"gave_up: {reason}"[:300], claimed_at=None,
        updated_at=timezone.now())


def deliveries_release(*, now=None, limit: int = 500) -> int:
    """Deliveries whose quiet hours are over go out (beat, every minute)."""
    now = now or timezone.now()
    released = 0
    with transaction.atomic():
        due = list(Delivery.objects.select_for_update(skip_locked=True)
                   .filter(status=Delivery.Status.WAITING, due_at__lte=now)
                   .order_by("due_at", "id").values_list("pk", flat=True)[:limit])
        for delivery_id in due:
            if Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.WAITING).update(
                    status=Delivery.Status.PENDING, updated_at=now):
                enqueue(tasks.deliver, delivery_id)
                released += 1
    return released


def delivery_resend(*, delivery_id: int) -> bool:
    """Staff: a failed delivery is tried again (the admin's action)."""
    with transaction.atomic():
        if not Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.FAILED).update(
                status=Delivery.Status.PENDING, reason="", updated_at=timezone.now()):
            return False
        enqueue(tasks.deliver, delivery_id)
    return True


# --- Sending now (sign-in codes) -----------------------------------------------------------

def sms_send_now(*, phone: str, event: str, params: dict[str, str], text: str) -> None:
    """Send one SMS while the caller waits (a sign-in code): no inbox row, no retry. No
    provider, no template or the gateway down -> 503 sms_unavailable; the gateway refusing the
    number -> 422 on `phone`."""
    provider = providers.sms_provider()
    if provider is None:
        raise SmsUnavailable("短信服务未配置，暂时无法发送验证码。")
    template = template_for(event, Channel.SMS)
    if template is None and provider.name != "console":
        logger.error("No SMS template for %s: set SMS_TEMPLATES or add one in the admin", event)
        raise SmsUnavailable()
    names = [variable for variable, _ in template.params] if template else list(params)
    message = Message(to=phone, title="山货", text=text,
                      template_id=template.template_id if template else "",
                      params=[(name, params.get(name, "")) for name in names])
    try:
        provider.send(message)
    except Refused as exc:
        raise ValidationFailed([{"field": "phone", "message": "这个号码收不到短信。",
                                 "code": "unreachable"}]) from exc
    except ProviderUnavailable as exc:
        logger.warning("SMS gateway down sending a code: %s", exc)
        raise SmsUnavailable() from exc


# --- Contact points, consents, preferences -------------------------------------------------

def contact_add(*, user, channel: str, address: str, verified: bool) -> ContactPoint:
    """A contact point of `user` (the same one again is no error). A phone or an openid of
    another account -> 409 contact_taken: the caller proved they hold it (a code, WeChat's
    login), so saying so tells nothing they do not know."""
    now = timezone.now()
    existing = ContactPoint.objects.filter(user=user, channel=channel, address=address).first()
    if existing is not None:
        if verified and existing.verified_at is None:
            existing.verified_at = now
            existing.save(update_fields=["verified_at"])
        return existing
    contact = ContactPoint(user=user, channel=channel, address=address,
                           verified_at=now if verified else None)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        raise Conflict("这个联系方式已绑定其他账号。", code="contact_taken") from None
    return contact


def contact_delete(*, user, contact_id: int) -> None:
    """Remove a contact point of `user` (another's: 404). The last verified phone of an account
    without a password is how it signs in: refused (409 last_sign_in_phone)."""
    with transaction.atomic():
        contact = ContactPoint.objects.select_for_update().filter(pk=contact_id,
                                                                  user=user).first()
        if contact is None:
            raise NotFound("没有这个联系方式。")
        if (contact.channel == Channel.SMS and contact.verified_at is not None
                and not user.has_usable_password()
                and not ContactPoint.objects.filter(user=user, channel=Channel.SMS,
                                                    verified_at__isnull=False)
                .exclude(pk=contact.pk).exists()):
            raise Conflict("这是您登录用的手机号，请先绑定其他手机号或设置密码。",
                           code="last_sign_in_phone")
        contact.delete()


def wechat_grant_record(*, user, template_id: str, count: int) -> WechatGrant:
    """Consents the app collected (wx.requestSubscribeMessage answered `accept` `count`
    times) for a template our events use."""
    if not Template.objects.filter(channel=Channel.WECHAT, template_id=template_id).exists():
        raise ValidationFailed([{"field": "template_id", "message": "不是本平台的订阅消息模板。",
                                 "code": "invalid_choice"}])
    insert_unless_taken(WechatGrant(user=user, template_id=template_id, remaining=0),
                        unique=["user", "template_id"])
    WechatGrant.objects.filter(user=user, template_id=template_id).update(
        remaining=F("remaining") + count, updated_at=timezone.now())
    return WechatGrant.objects.get(user=user, template_id=template_id)


def preferences_set(*, user, events_chosen: dict[str, list[str]], quiet_hours) -> Preference:
    errors = []
    for event, channels in events_chosen.items():
        if not events.is_event(event):
            errors.append({"field": f"events.{event}", "message": "没有这个事件。",
                           "code": "invalid_choice"})
        for channel in channels:
            if channel not in Channel.values:
                errors.append({"field": f"events.{event}", "message": f"没有这个渠道：{channel}",
                               "code": "invalid_choice"})
    if errors:
        raise ValidationFailed(errors)
    start, end = quiet_hours.times() if quiet_hours else (None, None)
    preference, _ = Preference.objects.update_or_create(user=user, defaults={
        "events": {event: sorted(set(channels)) for event, channels in events_chosen.items()},
        "quiet_start": start, "quiet_end": end})
    return preference


def notifications_mark_read(*, user, ids: list[int] | None, all_: bool) -> int:
    """Mark the caller's notifications read: `ids` (any that is not theirs -> 404, nothing
    marked) or all."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if not all_:
        wanted = set(ids or [])
        if Notification.objects.filter(user=user, pk__in=wanted).count() != len(wanted):
            raise NotFound("没有这条通知。")
        unread = unread.filter(pk__in=wanted)
    return unread.update(read_at=timezone.now())
