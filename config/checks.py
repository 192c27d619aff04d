"""Deploy checks of our own (`manage.py check --deploy`), beside Django's security checks."""

from django.conf import settings
from django.core.checks import Warning, register

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register("security", deploy=True)
def rate_limit_cache(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in PER_PROCESS_CACHES:
        return [
            Warning(
                "The default cache is per process, so the sign-in and token rate limits are "
                "counted by each worker on its own.",
                hint="Set CACHE_URL to the Redis instance (e.g. redis://host:6379/1).",
                id="osp.W001",
            )
        ]
    return []
