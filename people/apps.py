from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "Org directory"

    def ready(self):
        from django.db.models.signals import post_migrate

        from people.roles import ensure_roles

        # After every app's migrate, since an app later in INSTALLED_APPS adds permissions
        # the OSPO admin role should carry.
        post_migrate.connect(ensure_roles, dispatch_uid="people.ensure_roles")
