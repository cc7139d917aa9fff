"""Staff see what each person was told and how it reached them, send a failed delivery again,
and keep the platform templates per event and channel."""

import pytest
from django.test import TestCase
from django.utils import timezone

from notify import notify
from notify.models import ContactPoint, Delivery, Template
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client):
    return admin_client  # pytest-django's signed-in superuser


@pytest.fixture
def failed(aliyun_sms, delivery_retries):
    delivery_retries(0)
    farmer = make_user(username="farmer_zhao", email="")
    ContactPoint.objects.create(user=farmer, channel="sms", address="13812345678",
                                verified_at=timezone.now())
    aliyun_sms.fault = "500"
    with TestCase.captureOnCommitCallbacks(execute=True):
        notification = notify(user_id=farmer.pk, event="order_paid", key="SH7",
                              title="新订单 SH7 待发货", body="红富士苹果 × 2 斤")
    aliyun_sms.fault = None
    return Delivery.objects.get(notification=notification, channel="sms")


def test_notifications_and_deliveries_per_person(staff, failed):
    listed = staff.get("/admin/notify/notification/", {"q": "farmer_zhao"})
    assert listed.status_code == 200 and "新订单 SH7 待发货" in listed.content.decode()
    assert "新订单" not in staff.get("/admin/notify/notification/",
                                    {"q": "nobody"}).content.decode()
    page = staff.get(f"/admin/notify/notification/{failed.notification_id}/change/")
    assert page.status_code == 200 and "gave_up" in page.content.decode()
    deliveries = staff.get("/admin/notify/delivery/", {"status__exact": "failed"})
    assert "13812345678" in deliveries.content.decode()


def test_staff_send_a_failed_delivery_again(staff, failed, aliyun_sms):
    assert failed.status == "failed"
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = staff.post("/admin/notify/delivery/", {
            "action": "resend", "_selected_action": [failed.pk]})
    assert answer.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "sent" and len(aliyun_sms.sent) == 1


def test_staff_keep_the_templates_per_event_and_channel(staff):
    added = staff.post("/admin/notify/template/add/", {
        "event": "order_paid", "channel": "wechat", "template_id": "TPL_paid",
        "params": '[["character_string1", "order_number"], ["thing2", "title"]]',
        "page": "pages/orders/detail", "enabled": "on"})
    assert added.status_code == 302, added.content.decode()[:1500]
    assert Template.objects.get(event="order_paid", channel="wechat").template_id == "TPL_paid"
    twice = staff.post("/admin/notify/template/add/", {
        "event": "order_paid", "channel": "wechat", "template_id": "TPL_other", "params": "[]"})
    assert twice.status_code == 200  # one per event and channel: the form says so
    assert Template.objects.count() == 1
