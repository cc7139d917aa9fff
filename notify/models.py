"""What a person is told, and how it reached them.

A `Notification` is the inbox row: written in the transaction of the change it tells of, once
per (person, event, dedupe key). Each outside channel it goes out on is a `Delivery`, one per
(notification, channel): the dedupe key per event, person and channel. A delivery is sent by
an outbox intent (notify.tasks.deliver) and ends `sent`, `failed` (with the reason) or
`skipped` (no contact, no consent, no template: the reason says which).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    WECHAT = "wechat", "微信订阅消息"
    SMS = "sms", "短信"
    EMAIL = "email", "电子邮件"


class ContactPoint(models.Model):
    """Where a person can be reached: an openid of our mini-program, a phone verified by a
    code (also a way to sign in), an e-mail address. A phone or an openid belongs to one
    account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="contact_points")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel", "address"],
                                    name="notify_contact_once_per_user"),
            models.UniqueConstraint(fields=["channel", "address"],
                                    condition=Q(channel__in=["sms", "wechat"]),
                                    name="notify_phone_or_openid_one_account"),
        ]
        indexes = [models.Index(fields=["user", "channel"], name="notify_contact_user")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


class WechatGrant(models.Model):
    """Consents to one subscribe-message template the app collected from a person
    (wx.requestSubscribeMessage): one consent, one message. Spent one at a time by a
    conditional UPDATE; WeChat's 43101 says none is left, whatever we counted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="wechat_grants")
    template_id = models.CharField(max_length=128)
    remaining = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "template_id"],
                                               name="notify_grant_once_per_template")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.template_id} × {self.remaining}"


class Preference(models.Model):
    """A person's choice of channels per event and their quiet hours (Asia/Shanghai). No row:
    the defaults (notify.events)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    # {event: [channel, ...]}; an event not named takes its default channels
    events = models.JSONField(default=dict, blank=True)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class Template(models.Model):
    """The platform's template for an event on a channel: the SMS TemplateCode / TemplateId,
    or the WeChat subscribe-message template id, and which of the message's words fill its
    variables, in order (`[[variable, word], ...]`, a word being `title`, `body` or a key of
    the notification's `data`)."""

    event = models.CharField(max_length=40)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    template_id = models.CharField(max_length=128)
    params = models.JSONField(default=list, blank=True)
    page = models.CharField(max_length=255, blank=True,
                            help_text="WeChat: the mini-program page the message opens")
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "channel"],
                                               name="notify_template_per_event_channel")]

    def __str__(self) -> str:
        return f"{self.event}/{self.channel}: {self.template_id}"


class Notification(models.Model):
    """One thing a person is told: the inbox row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    event = models.CharField(max_length=40)
    # what makes this notification one of a kind for its person and event (an order number)
    dedupe_key = models.CharField(max_length=120)
    title = models.CharField(max_length=120)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event", "dedupe_key"],
                                               name="notify_notification_once")]
        indexes = [
            models.Index(fields=["user", "-id"], name="notify_inbox"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True),
                         name="notify_inbox_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.user_id}: {self.title}"


class Delivery(models.Model):
    """The notification on one outside channel.

    waiting (quiet hours, until `due_at`) -> pending -> sending -> sent | failed; or skipped.
    `sending` is claimed by one run of the task at a time (a conditional UPDATE); a run that
    died mid-send leaves it to be taken again after NOTIFY_HTTP_TIMEOUT has surely passed.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "等待免打扰结束"
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "失败"
        SKIPPED = "skipped", "未发送"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE,
                                     related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # the phone, openid or e-mail address it goes (went) to
    address = models.CharField(max_length=254, blank=True)
    template_id = models.CharField(max_length=128, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_ref = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "channel"],
                                               name="notify_delivery_once_per_channel")]
        indexes = [models.Index(fields=["status", "due_at"], name="notify_delivery_due")]

    def __str__(self) -> str:
        return f"{self.channel} of {self.notification_id}: {self.status}"
