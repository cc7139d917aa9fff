from django.apps import AppConfig


class BenefitConfig(AppConfig):
    name = "benefit"
    verbose_name = "Public benefit (公益)"

    def ready(self) -> None:
        from benefit import checks  # noqa: F401 (registers the system check)
