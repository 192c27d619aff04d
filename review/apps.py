from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Disclosure review"

    def ready(self):
        from projects import panels
        from review import signals
        from review.panel import disclosure_panel

        panels.register(
            panels.Panel(
                order=50,
                title=_("Disclosure"),
                template="review/includes/project_panel.html",
                context=disclosure_panel,
            )
        )
        signals.connect()
