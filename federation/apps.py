from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation"

    def ready(self):
        from federation.panel import mirror_panel
        from projects import panels

        panels.register(
            panels.Panel(
                order=60,
                title=_("Public mirror"),
                template="federation/includes/project_panel.html",
                context=mirror_panel,
            )
        )
