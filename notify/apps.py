from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = "Notifications (WeChat, SMS, e-mail, inbox)"
