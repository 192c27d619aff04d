from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation"

    def ready(self):
        from federation.panel import mirror_panel
        from projects import panels

        panels.register(
            panels.Panel(
                order=60,
                title="Public mirror",
                template="federation/includes/project_panel.html",
                context=mirror_panel,
            )
        )
