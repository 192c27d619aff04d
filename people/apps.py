from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "Org directory"

    def ready(self):
        from django.db.models.signals import post_migrate

        from people.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
