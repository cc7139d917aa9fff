"""A notification reaches its person once per channel: WeChat while a consent is left, else SMS,
e-mail as chosen, the inbox always; quiet hours for what is not urgent; a provider down is
tried again, a refused number or a spent consent is `failed` with the reason and not retried."""

from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from notify import notify
from notify.models import ContactPoint, Delivery, Notification, Preference, Template, WechatGrant
from notify.providers.base import ProviderUnavailable
from notify.quiet import CHINA, quiet_until
from notify.services import deliveries_release, delivery_send
from notify.tasks import deliver
from outbox.models import Intent
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
TEMPLATE = "Xk3pQ_order_paid"


@pytest.fixture
def farmer(db):
    user = make_user(username="farmer_li", email="li@example.com")
    ContactPoint.objects.create(user=user, channel="sms", address=PHONE,
                                verified_at=timezone.now())
    ContactPoint.objects.create(user=user, channel="wechat", address=OPENID,
                                verified_at=timezone.now())
    return user


@pytest.fixture
def wechat_template(db):
    return Template.objects.create(event="order_paid", channel="wechat", template_id=TEMPLATE,
                                   params=[["character_string1", "order_number"],
                                           ["thing2", "body"]], page="pages/orders/detail")


@contextmanager
def committed():
    """The block as a transaction whose on-commit work (the outbox's hand-over, Celery eager)
    runs at its end, as after a real commit."""
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        yield


def tell(user, *, event="order_paid", key="SH001", body="红富士苹果 × 2 斤\n张三 138…", **data):
    with committed():
        return notify(user_id=user.pk, event=event, key=key, title=f"新订单 {key} 待发货",
                      body=body, data={"order_number": key, **data})


def deliveries(notification) -> dict[str, Delivery]:
    return {d.channel: d for d in Delivery.objects.filter(notification=notification)}


def test_with_a_consent_left_the_phone_hears_by_wechat_and_the_consent_is_spent(
        farmer, wechat_template, wechat_mp, aliyun_sms):
    wechat_mp.grant(OPENID, TEMPLATE)
    WechatGrant.objects.create(user=farmer, template_id=TEMPLATE, remaining=1)

    notification = tell(farmer)

    sent = deliveries(notification)
    assert sent["wechat"].status == "sent" and sent["email"].status == "sent"
    assert "sms" not in sent and aliyun_sms.sent == []
    message = wechat_mp.messages[0]
    assert message["touser"] == OPENID and message["template_id"] == TEMPLATE
    assert message["data"]["character_string1"]["value"] == "SH001"
    assert len(message["data"]["thing2"]["value"]) <= 20  # cut to what `thing` holds
    assert message["page"] == "pages/orders/detail"
    assert WechatGrant.objects.get(user=farmer).remaining == 0
    assert mail.outbox[0].to == ["li@example.com"] and "红富士" in mail.outbox[0].body


def test_without_a_consent_the_phone_hears_by_sms_with_the_whole_text(
        farmer, wechat_template, wechat_mp, sms_gateway):
    notification = tell(farmer,
                        body="订单 SH001：红富士苹果 × 2 斤（第 3 批）；寄 河南省太康县 张三")

    sent = deliveries(notification)
    assert sent["wechat"].status == "skipped" and sent["wechat"].reason == "no_consent"
    assert sent["sms"].status == "sent" and sent["sms"].address == PHONE
    assert wechat_mp.messages == []
    [message] = sms_gateway.sent
    assert message["phone"] == PHONE and message["template"] == "SMS_100002"
    words = message["params"]["body"] if isinstance(message["params"], dict) else \
        message["params"][0]
    assert "红富士苹果 × 2 斤（第 3 批）" in words and "河南省太康县" in words


def test_43101_marks_the_consent_gone_and_the_phone_hears_by_sms(
        farmer, wechat_template, wechat_mp, aliyun_sms):
    # we counted a consent, but WeChat has none (the person used it elsewhere)
    wechat_mp.templates.add(TEMPLATE)
    WechatGrant.objects.create(user=farmer, template_id=TEMPLATE, remaining=3)

    notification = tell(farmer)

    sent = deliveries(notification)
    assert sent["wechat"].status == "failed" and "consent_gone" in sent["wechat"].reason
    assert WechatGrant.objects.get(user=farmer).remaining == 0
    assert sent["sms"].status == "sent" and len(aliyun_sms.sent) == 1
    # the wechat delivery is not tried again
    assert deliver.apply(args=[sent["wechat"].pk]).get() == "not_due"
    assert len([r for r in wechat_mp.received if "subscribe" in r.path]) == 1


def test_an_expired_token_is_fetched_again_once_and_kept_between_messages(
        farmer, wechat_template, wechat_mp, aliyun_sms):
    wechat_mp.grant(OPENID, TEMPLATE, 3)
    WechatGrant.objects.create(user=farmer, template_id=TEMPLATE, remaining=3)

    tell(farmer, key="SH001")
    tell(farmer, key="SH002")
    assert wechat_mp.token_fetches == 1  # cached in this process

    wechat_mp.expire_tokens()  # 40001 for the cached one
    third = tell(farmer, key="SH003")
    assert deliveries(third)["wechat"].status == "sent"
    assert wechat_mp.token_fetches == 2 and len(wechat_mp.messages) == 3


def test_a_token_that_expires_by_its_lifetime_is_fetched_again(
        farmer, wechat_template, wechat_mp, aliyun_sms):
    wechat_mp.expires_in = 300  # refetched TOKEN_MARGIN before it expires: at once
    wechat_mp.grant(OPENID, TEMPLATE, 2)
    WechatGrant.objects.create(user=farmer, template_id=TEMPLATE, remaining=2)
    tell(farmer, key="SH001")
    tell(farmer, key="SH002")
    assert wechat_mp.token_fetches == 2


def test_a_token_expired_twice_in_a_row_is_retried_later_not_looped(
        farmer, wechat_template, wechat_mp, aliyun_sms, delivery_retries):
    delivery_retries(0)
    wechat_mp.grant(OPENID, TEMPLATE)
    WechatGrant.objects.create(user=farmer, template_id=TEMPLATE, remaining=1)
    wechat_mp.tokens = type("Never", (set,), {"__contains__": lambda self, item: False})()

    notification = tell(farmer)

    wechat = deliveries(notification)["wechat"]
    assert wechat.status == "failed" and wechat.reason.startswith("gave_up")
    assert len([r for r in wechat_mp.received if "subscribe" in r.path]) == 2  # once more only
    assert WechatGrant.objects.get(user=farmer).remaining == 1  # not spent: nothing went out


def test_a_refused_number_fails_with_the_reason_and_is_not_retried(farmer, sms_gateway):
    sms_gateway.refuse(PHONE)
    notification = tell(farmer)

    sms = deliveries(notification)["sms"]
    assert sms.status == "failed" and "refuse" in sms.reason
    assert len(sms_gateway.received) == 1
    assert deliver.apply(args=[sms.pk]).get() == "not_due"
    assert len(sms_gateway.received) == 1
    assert Notification.objects.filter(pk=notification.pk).exists()  # the inbox has it


@pytest.mark.parametrize("fault", ["500", "hang"])
def test_a_gateway_down_is_retried_then_failed_and_staff_send_it_again(
        farmer, aliyun_sms, settings, delivery_retries, fault):
    settings.NOTIFY_HTTP_TIMEOUT = 0.3
    delivery_retries(2)  # eager Celery runs the retries at once
    aliyun_sms.fault = fault
    notification = tell(farmer)
    sms = deliveries(notification)["sms"]
    assert sms.status == "failed" and sms.reason.startswith("gave_up")
    assert len(aliyun_sms.received) == 3  # the first try and two more
    assert Notification.objects.filter(pk=notification.pk).exists()
    intent = Intent.objects.get(task="notify.tasks.deliver", args=[sms.pk])
    assert intent.status == "failed" and "ProviderUnavailable" in intent.error

    # staff send it again once the gateway is back (the admin's action)
    from notify.services import delivery_resend

    aliyun_sms.fault = None
    with committed():
        assert delivery_resend(delivery_id=sms.pk)
    sms.refresh_from_db()
    assert sms.status == "sent" and len(aliyun_sms.sent) == 1


def test_a_provider_down_leaves_the_delivery_pending_for_the_next_try(farmer, tencent_sms):
    tencent_sms.code = "InternalError.Timeout"
    with committed():
        notification = notify(user_id=farmer.pk, event="payout_paid", key="P1", title="货款已打款",
                              body="本周货款 1,234.00 元已打到您的银行卡。")
    Preference.objects.create(user=farmer, quiet_start=None, quiet_end=None)
    Delivery.objects.filter(notification=notification).delete()
    from notify.services import deliveries_plan

    [delivery_id] = [d for d in deliveries_plan(notification_id=notification.pk)
                     if Delivery.objects.get(pk=d).channel == "sms"]
    Delivery.objects.filter(pk=delivery_id).update(status="pending")
    with pytest.raises(ProviderUnavailable):
        delivery_send(delivery_id=delivery_id)
    assert Delivery.objects.get(pk=delivery_id).status == "pending"
    tencent_sms.code = None
    assert delivery_send(delivery_id=delivery_id) == "sent"
    assert Delivery.objects.get(pk=delivery_id).attempts == 2


def test_retries_back_off_with_jitter_and_stay_within_five_minutes(settings):
    assert deliver.autoretry_for[-1] is ProviderUnavailable
    assert (deliver.retry_backoff, deliver.retry_backoff_max, deliver.retry_jitter) == (
        settings.NOTIFY_RETRY_BASE, 300, True)
    assert deliver.max_retries == settings.NOTIFY_MAX_RETRIES
    assert deliver.give_up == "notify.services.delivery_give_up"


def test_one_event_is_delivered_once_per_channel_however_often_it_is_told(farmer, aliyun_sms):
    first = tell(farmer)
    assert tell(farmer) is None  # the same key: nothing written
    sms = deliveries(first)["sms"]
    for _ in range(3):
        assert deliver.apply(args=[sms.pk]).get() == "not_due"
    assert len(aliyun_sms.sent) == 1 and len(mail.outbox) == 1
    assert Notification.objects.count() == 1


def test_a_delivery_claimed_by_a_run_that_died_is_taken_over_later(farmer, aliyun_sms, settings):
    settings.NOTIFY_HTTP_TIMEOUT = 1.0
    with committed():
        notification = notify(user_id=farmer.pk, event="order_paid", key="X", title="t", body="b")
    sms = deliveries(notification)["sms"]
    Delivery.objects.filter(pk=sms.pk).update(status="sending", claimed_at=timezone.now())
    assert delivery_send(delivery_id=sms.pk) == "not_due"  # still being sent, maybe
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert delivery_send(delivery_id=sms.pk) == "sent"


def _shanghai(hour: int, minute: int = 0) -> datetime:
    today = timezone.now().astimezone(CHINA).date()
    return datetime.combine(today, time(hour, minute), tzinfo=CHINA)


def test_quiet_hours_hold_what_is_not_urgent_until_they_end(farmer, aliyun_sms):
    with time_machine.travel(_shanghai(23, 30), tick=False):
        with committed():
            notification = notify(user_id=farmer.pk, event="statement_ready", key="W1",
                                  title="周结算单已生成", body="第 49 周结算单已生成。")
        held = deliveries(notification)
        assert held["sms"].status == "waiting"
        assert held["sms"].due_at == _shanghai(7) + timedelta(days=1)
        assert held["email"].status == "sent"  # no sound
        assert deliveries_release() == 0
    with time_machine.travel(_shanghai(7, 1) + timedelta(days=1), tick=False), committed():
        assert deliveries_release() == 1
    assert deliveries(notification)["sms"].status == "sent" and len(aliyun_sms.sent) == 1


def test_urgent_events_go_at_any_hour(farmer, aliyun_sms):
    with time_machine.travel(_shanghai(3), tick=False):
        notification = tell(farmer)
    assert deliveries(notification)["sms"].status == "sent"


def test_preferences_choose_the_channels_of_an_event(farmer, aliyun_sms):
    Preference.objects.create(user=farmer, events={"order_paid": ["email"]})
    notification = tell(farmer)
    assert set(deliveries(notification)) == {"email"} and aliyun_sms.sent == []
    Preference.objects.filter(user=farmer).update(events={"order_paid": []})
    only_inbox = tell(farmer, key="SH002")
    assert deliveries(only_inbox) == {}


def test_no_phone_no_provider_no_address_are_skipped_with_the_reason(settings):
    settings.SMS_PROVIDER = ""
    settings.WECHAT_MESSAGE_PROVIDER = ""
    bare = make_user(username="bare", email="")
    notification = tell(bare)
    reasons = {c: (d.status, d.reason) for c, d in deliveries(notification).items()}
    assert reasons == {"wechat": ("skipped", "no_openid"), "sms": ("skipped", "no_phone"),
                       "email": ("skipped", "no_address")}
    ContactPoint.objects.create(user=bare, channel="sms", address=PHONE,
                                verified_at=timezone.now())
    again = tell(bare, key="SH002")
    assert deliveries(again)["sms"].reason == "not_configured"


def test_every_delivery_is_an_outbox_intent(farmer, aliyun_sms):
    notification = tell(farmer)
    tasks = sorted(Intent.objects.values_list("task", flat=True))
    assert tasks == ["notify.tasks.deliver", "notify.tasks.deliver",
                     "notify.tasks.plan_deliveries"]
    assert set(Intent.objects.values_list("status", flat=True)) == {"done"}
    assert notification.pk


def test_quiet_until_across_midnight_and_within_a_day():
    start, end = time(22), time(7)
    assert quiet_until(_shanghai(21, 59), start, end) is None
    assert quiet_until(_shanghai(22), start, end) == _shanghai(7) + timedelta(days=1)
    assert quiet_until(_shanghai(6, 59), start, end) == _shanghai(7)
    assert quiet_until(_shanghai(7), start, end) is None
    assert quiet_until(_shanghai(13), time(12), time(14)) == _shanghai(14)
    assert quiet_until(_shanghai(13), None, None) is None
