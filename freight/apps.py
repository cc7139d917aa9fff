from django.apps import AppConfig


class FreightConfig(AppConfig):
    name = "freight"
    verbose_name = "Freight (shipping fees)"
