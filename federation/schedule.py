"""Periodic tasks of the federation app, for the lead to merge into CELERY_BEAT_SCHEDULE:

from federation.schedule import BEAT_SCHEDULE as FEDERATION_BEAT_SCHEDULE
CELERY_BEAT_SCHEDULE = {**REVIEW_BEAT_SCHEDULE, **FEDERATION_BEAT_SCHEDULE}
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "federation-reconcile": {
        "task": "federation.tasks.reconcile",
        "schedule": crontab(minute="*/10"),
    },
    "federation-runs-fail-stuck": {
        "task": "federation.tasks.runs_fail_stuck",
        "schedule": crontab(minute="*/5"),
    },
    "federation-drift-check": {
        "task": "federation.tasks.drift_check",
        "schedule": crontab(hour=2, minute=37),
    },
    "federation-mirrors-gc": {
        "task": "federation.tasks.mirrors_gc",
        "schedule": crontab(day_of_week="sun", hour=4, minute=7),
    },
}
