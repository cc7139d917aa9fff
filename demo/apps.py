from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Installed only for its management command, `demo`; it has no models."""

    name = "demo"
    verbose_name = "Demo data"
