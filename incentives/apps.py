from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "incentives"

    def ready(self):
        from incentives import receivers  # noqa: F401 - connects the signal receivers
        from projects import panels

        panels.register(
            panels.Panel(
                order=10,
                title=_("Contributors"),
                template="incentives/panel_contributors.html",
                context=contributors_panel,
            )
        )


def contributors_panel(project, user) -> dict:
    from incentives.selectors import project_people

    return {"contributors": project_people(project)}
