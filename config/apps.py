from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    label = "config"
    verbose_name = "OSP Federation"

    def ready(self):
        from config import checks  # noqa: F401 (registers the deploy checks)
