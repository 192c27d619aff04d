"""The Celery app. Eager (in-process) when CELERY_BROKER_URL is unset."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("osp_federation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
