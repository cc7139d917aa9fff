from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "Certificates and verified sellers (资质与合格证)"

    def ready(self) -> None:
        from certificates import checks  # noqa: F401 (registers the system check)
