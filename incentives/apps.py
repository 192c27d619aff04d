from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"

    def ready(self):
        from incentives import receivers  # noqa: F401 - connects the signal receivers
