"""Released projects go back to re-review after 12 months, or when license or patents change."""

import datetime as dt

import pytest
from django.utils import timezone

from projects import services as project_services
from review import services, tasks
from review.models import Disclosure, Patent, PatentLink
from review.patents import patent_changed
from review.schedule import BEAT_SCHEDULE
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import in_review, sign_all

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db
State = Disclosure.State


def released(world, when=None):
    d = in_review(world)
    sign_all(world, d)
    services.disclosure_approve(disclosure=d, by=world.chair)
    services.disclosure_publishing_start(disclosure=d)
    services.disclosure_released(disclosure=d, public_url="https://github.com/o/demo-lib")
    if when is not None:
        Disclosure.objects.filter(pk=d.pk).update(released_at=when)
        d.refresh_from_db()
    return d


def at(day: dt.date):
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 12))


def test_months_ago_handles_month_ends():
    assert services._months_ago(dt.date(2026, 3, 31), 12) == dt.date(2025, 3, 31)
    assert services._months_ago(dt.date(2025, 2, 28), 12) == dt.date(2024, 2, 28)
    assert services._months_ago(dt.date(2024, 2, 29), 12) == dt.date(2023, 2, 28)
    assert services._months_ago(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)


def test_twelve_months_after_release_it_is_due(world):
    today = dt.date(2026, 6, 15)
    d = released(world, when=at(dt.date(2025, 6, 16)))
    assert services.disclosures_re_review_due(today=today) == []
    d.refresh_from_db()
    assert d.state == State.RELEASED
    Disclosure.objects.filter(pk=d.pk).update(released_at=at(dt.date(2025, 6, 15)))
    assert [x.pk for x in services.disclosures_re_review_due(today=today)] == [d.pk]
    d.refresh_from_db()
    assert d.state == State.RE_REVIEW and "12 months" in d.state_reason


def test_the_periodic_task_is_scheduled_and_runs(world):
    assert BEAT_SCHEDULE["review-re-review-due"]["task"] == "review.tasks.re_review_due"
    d = released(world, when=timezone.now() - dt.timedelta(days=400))
    assert tasks.re_review_due.delay().get() == 1
    d.refresh_from_db()
    assert d.state == State.RE_REVIEW


def test_license_change_of_a_released_project(world):
    d = released(world)
    project_services.project_update(project=world.project, by=world.researcher, summary="New")
    d.refresh_from_db()
    assert d.state == State.RELEASED  # other edits do not matter
    project_services.project_update(project=world.project, by=world.researcher, license="MIT")
    d.refresh_from_db()
    assert d.state == State.RE_REVIEW and "license changed" in d.state_reason


def test_license_change_before_release_changes_nothing(world):
    d = in_review(world)
    project_services.project_update(project=world.project, by=world.researcher, license="MIT")
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW


def test_patent_change_sends_linked_released_projects_back(world):
    d = released(world)
    patent = Patent.objects.create(number="KR-1", title="Codec")
    PatentLink.objects.create(patent=patent, project=world.project, path_glob="src/**")
    assert [x.pk for x in patent_changed(patent=patent, what="now standard-essential")] == [d.pk]
    d.refresh_from_db()
    assert d.state == State.RE_REVIEW and "KR-1" in d.state_reason


def test_scope_change_service_and_resubmit_same_sha(world):
    d = released(world)
    services.disclosures_re_review_for_project(project=world.project, reason="scope grew")
    d.refresh_from_db()
    assert d.state == State.RE_REVIEW
    with pytest.raises(services.WrongState):
        services.disclosure_re_review(disclosure=d, reason="again")
    services.disclosure_resubmit(disclosure=d, by=world.researcher, sha=d.sha)
    assert d.state == State.SUBMITTED and d.round == 2


def test_only_released_disclosures_go_to_re_review(world):
    d = in_review(world)
    with pytest.raises(services.WrongState):
        services.disclosure_re_review(disclosure=d, reason="x")
    assert services.disclosures_re_review_for_project(project=world.project, reason="x") == []
