"""The patent register: a disclosure touching a linked patent needs the IP lane's decision."""

import pytest

from review import patents, selectors, services
from review.errors import InvalidInput, NotAllowed, WrongState
from review.models import AuditEntry, Disclosure, Patent, PatentLink
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import finish_screening, in_review, sign_all

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db
State = Disclosure.State


@pytest.fixture
def codec(world):
    p = Patent.objects.create(
        number="KR-10-1234567",
        title="Fast integer addition",
        classification=Patent.Classification.GENERAL,
        disclosed_technology="adder",
        undisclosed_technology="carry trick",
    )
    PatentLink.objects.create(patent=p, project=world.project, path_glob="src/demo/*.py")
    return p


def test_touched_by_path_glob(world, codec):
    other = Patent.objects.create(number="KR-2", title="Elsewhere")
    PatentLink.objects.create(patent=other, project=world.project, path_glob="native/**")
    whole = Patent.objects.create(number="KR-3", title="Whole project")
    PatentLink.objects.create(patent=whole, project=world.project, path_glob="")
    d = in_review(world)
    assert [p.number for p in selectors.patents_touched(d)] == ["KR-10-1234567", "KR-3"]


def test_approval_waits_for_the_ip_decision(world, codec):
    d = in_review(world)
    sign_all(world, d)
    with pytest.raises(WrongState, match="KR-10-1234567"):
        services.disclosure_approve(disclosure=d, by=world.chair)
    patents.patent_decision_record(
        disclosure=d, patent=codec, decision="cleared", by=world.security, note=""
    )
    services.disclosure_approve(disclosure=d, by=world.chair)
    assert d.state == State.APPROVED
    entry = AuditEntry.objects.get(disclosure=d, action="patent_decision")
    assert entry.lane == "ip" and "KR-10-1234567" in entry.detail


def test_only_the_ip_lane_decides(world, codec):
    d = in_review(world)
    with pytest.raises(NotAllowed):
        patents.patent_decision_record(
            disclosure=d, patent=codec, decision="cleared", by=world.legal
        )
    assert not d.patent_decisions.exists()


def test_a_blocking_decision_stops_approval(world, codec):
    d = in_review(world)
    sign_all(world, d)
    with pytest.raises(InvalidInput):
        patents.patent_decision_record(
            disclosure=d, patent=codec, decision="blocks", by=world.security, note=""
        )
    patents.patent_decision_record(
        disclosure=d, patent=codec, decision="blocks", by=world.security, note="Carry trick."
    )
    with pytest.raises(WrongState, match="block the release"):
        services.disclosure_approve(disclosure=d, by=world.chair)


def test_decision_for_an_untouched_patent_is_refused(world):
    elsewhere = Patent.objects.create(number="KR-9", title="Elsewhere")
    PatentLink.objects.create(patent=elsewhere, project=world.project, path_glob="native/**")
    d = in_review(world)
    with pytest.raises(InvalidInput):
        patents.patent_decision_record(
            disclosure=d, patent=elsewhere, decision="cleared", by=world.security
        )


def test_decisions_are_per_sha(world, codec):
    d = in_review(world)
    patents.patent_decision_record(
        disclosure=d, patent=codec, decision="cleared", by=world.security
    )
    services.disclosure_send_back(disclosure=d, lane="legal", by=world.legal, note="fix")
    new = world.commit({"src/demo/extra.py": "X = 1\n"})
    services.disclosure_resubmit(disclosure=d, by=world.researcher, sha=new)
    finish_screening(d)
    assert [p.number for p in selectors.patents_undecided(d)] == ["KR-10-1234567"]


def test_patent_records_feed_the_engine(world, codec):
    from review import engine

    records = engine.patent_records(world.project)
    assert len(records) == 1
    assert records[0].id == "KR-10-1234567" and records[0].paths == ("src/demo/*.py",)
