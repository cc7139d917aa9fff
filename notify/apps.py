from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = "Notifications (WeChat, SMS, e-mail, inbox)"

    def ready(self) -> None:
        from notify import checks  # noqa: F401 (registers the deploy check)
