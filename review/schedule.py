"""Periodic tasks of the review app, for the lead to merge into CELERY_BEAT_SCHEDULE:

from review.schedule import BEAT_SCHEDULE as REVIEW_BEAT_SCHEDULE
CELERY_BEAT_SCHEDULE = {**REVIEW_BEAT_SCHEDULE, ...}
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "review-re-review-due": {
        "task": "review.tasks.re_review_due",
        "schedule": crontab(hour=3, minute=17),
    },
    "review-screenings-mark-stale": {
        "task": "review.tasks.screenings_mark_stale",
        "schedule": crontab(hour=3, minute=27),
    },
}
