from django.apps import AppConfig


class ProducersConfig(AppConfig):
    name = "producers"
    verbose_name = "Producers and catalog"
