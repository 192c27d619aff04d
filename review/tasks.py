"""Celery tasks of the review app: thin wrappers that load rows by primary key and call a
service. Screening is long git work: it is queued on the `git` queue (services.SCREENING_QUEUE),
like federation's tasks."""

from celery import shared_task

from federation.errors import RepoLocked


@shared_task(
    autoretry_for=(RepoLocked,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def screen_disclosure(screening_id: int) -> str:
    from review.models import Screening
    from review.screening import screening_run

    screening = Screening.objects.select_related("disclosure", "project").get(pk=screening_id)
    return screening_run(screening=screening).state


@shared_task
def re_review_due() -> int:
    """Daily: released disclosures 12 months old go back to re-review."""
    from review.services import disclosures_re_review_due

    return len(disclosures_re_review_due())


@shared_task
def screenings_mark_stale() -> int:
    """Daily: screenings made under older rules are marked stale."""
    from review.screening import screenings_mark_stale as mark

    return mark()
