"""Leaderboards in SQL: sums, ranks, rank changes, distinct counts, periods and query counts."""

import datetime as dt
from decimal import Decimal

import pytest

from incentives.leaderboards import flow_matrix, leaderboard, standing, trend
from incentives.models import Award
from incentives.periods import PeriodError, custom, period_from_params, period_of
from people.services import team_ensure_path
from tests.factories import PersonFactory, ProjectFactory
from tests.incentives.factories import AwardFactory

pytestmark = pytest.mark.django_db
Q1 = period_of("quarter", dt.date(2025, 2, 1))


@pytest.fixture
def board_data(db):
    a, b = team_ensure_path(path="Div/A"), team_ensure_path(path="Div/B")
    c = team_ensure_path(path="Other/C")
    p1, p2 = ProjectFactory(path="g/p1", owner=b), ProjectFactory(path="g/p2", owner=c)
    ann, ben, cat = (
        PersonFactory(name=n, email=f"{n.lower()}@x.example") for n in ("Ann", "Ben", "Cat")
    )
    # Q1 2025
    AwardFactory(person=ann, from_team=a, to_team=b, change__project=p1, points=Decimal("30.00"))
    AwardFactory(
        person=ann,
        from_team=a,
        to_team=c,
        change__project=p2,
        points=Decimal("12.50"),
        landed_on=dt.date(2025, 3, 31),
    )
    AwardFactory(
        person=ben,
        from_team=b,
        to_team=c,
        change__project=p2,
        points=Decimal("45.00"),
        landed_on=dt.date(2025, 1, 1),
    )
    AwardFactory(person=cat, from_team=c, to_team=b, change__project=p1, points=Decimal("20.00"))
    # a revert claw-back in Q1 nets Cat's second change to zero
    clawed = AwardFactory(
        person=cat, from_team=c, to_team=b, change__project=p1, points=Decimal("22.50")
    )
    AwardFactory(
        person=cat,
        change=clawed.change,
        kind="revert",
        from_team=c,
        to_team=b,
        project=p1,
        points=Decimal("-22.50"),
        change_count=-1,
    )
    # Q4 2024: Cat led, Ben second, Ann absent
    AwardFactory(
        person=cat,
        from_team=c,
        to_team=b,
        change__project=p1,
        points=Decimal("50.00"),
        landed_on=dt.date(2024, 12, 31),
    )
    AwardFactory(
        person=ben,
        from_team=b,
        to_team=c,
        change__project=p2,
        points=Decimal("10.00"),
        landed_on=dt.date(2024, 10, 1),
    )
    # outside both
    AwardFactory(
        person=ben, from_team=b, to_team=c, points=Decimal("99.00"), landed_on=dt.date(2025, 4, 1)
    )
    return dict(a=a, b=b, c=c, ann=ann, ben=ben, cat=cat, p1=p1, p2=p2)


def test_people_board_sums_ranks_and_rank_changes(board_data):
    board = leaderboard(by="person", period=Q1)
    rows = [
        (r.rank, r.key, r.points, r.changes, r.projects, r.teams, r.previous_rank, r.rank_change)
        for r in board.rows
    ]
    assert rows == [
        (1, "ben@x.example", Decimal("45.00"), 1, 1, 1, 2, 1),
        (2, "ann@x.example", Decimal("42.50"), 2, 2, 2, None, None),
        (3, "cat@x.example", Decimal("20.00"), 1, 1, 1, 1, -2),
    ]
    assert board.total == 3 and board.policy_version == 1
    assert board.as_dict()["period"] == {
        "kind": "quarter",
        "label": "2025-Q1",
        "since": "2025-01-01",
        "until": "2025-03-31",
        "time_zone": "Asia/Seoul",
    }


def test_team_and_project_boards(board_data):
    teams = leaderboard(by="team", period=Q1)
    assert [(r.key, r.points, r.changes, r.projects, r.teams, r.people) for r in teams.rows] == [
        ("Div/B", Decimal("45.00"), 1, 1, 1, 1),
        ("Div/A", Decimal("42.50"), 2, 2, 2, 1),
        ("Other/C", Decimal("20.00"), 1, 1, 1, 1),
    ]
    projects = leaderboard(by="project", period=Q1)
    assert [(r.key, r.points, r.changes, r.teams, r.people) for r in projects.rows] == [
        ("g/p2", Decimal("57.50"), 2, 2, 2),
        ("g/p1", Decimal("50.00"), 2, 2, 2),
    ]


def test_ties_share_a_rank_and_pages_are_cut_in_sql(board_data):
    AwardFactory(person=PersonFactory(name="Dee", email="dee@x.example"), points=Decimal("45.00"))
    board = leaderboard(by="person", period=Q1, limit=2, offset=0)
    assert [(r.rank, r.key) for r in board.rows] == [(1, "ben@x.example"), (1, "dee@x.example")]
    assert board.total == 4
    page2 = leaderboard(by="person", period=Q1, limit=2, offset=2)
    assert [(r.rank, r.key) for r in page2.rows] == [(3, "ann@x.example"), (4, "cat@x.example")]


def test_scope_keeps_only_awards_credited_to_the_teams(board_data):
    board = leaderboard(by="person", period=Q1, team_ids={board_data["a"].id})
    assert [r.key for r in board.rows] == ["ann@x.example"]
    assert leaderboard(by="person", period=Q1, team_ids=set()).rows == []


def test_own_standing_is_the_rank_among_everyone(board_data):
    mine = standing(person=board_data["cat"], period=Q1)
    assert (mine.rank, mine.points, mine.previous_rank) == (3, Decimal("20.00"), 1)
    assert standing(person=PersonFactory(), period=Q1) is None


def test_flow_matrix_and_trend(board_data):
    flow = flow_matrix(period=Q1)
    a, b, c = board_data["a"].id, board_data["b"].id, board_data["c"].id
    assert flow.cells == {
        (a, b): (Decimal("30.00"), 1),
        (a, c): (Decimal("12.50"), 1),
        (b, c): (Decimal("45.00"), 1),
        (c, b): (Decimal("20.00"), 1),
    }
    divisions = flow_matrix(period=Q1, depth=1)
    div, other = board_data["a"].parent_id, board_data["c"].parent_id
    assert divisions.cells == {
        (div, div): (Decimal("30.00"), 1),
        (div, other): (Decimal("57.50"), 2),
        (other, div): (Decimal("20.00"), 1),
    }
    weeks = trend(period=Q1)
    assert len(weeks) == 14 and weeks[0] == (dt.date(2024, 12, 30), Decimal("45.00"), 1)
    months = trend(period=Q1, bucket="month")
    assert months == [
        (dt.date(2025, 1, 1), Decimal("45.00"), 1),
        (dt.date(2025, 2, 1), Decimal("0.00"), 0),
        (dt.date(2025, 3, 1), Decimal("62.50"), 3),
    ]


@pytest.mark.parametrize("people", [3, 40])
def test_board_query_count_does_not_grow_with_rows(db, people, django_assert_max_num_queries):
    team = team_ensure_path(path="Div/A")
    for i in range(people):
        person = PersonFactory()
        AwardFactory(person=person, from_team=team, points=Decimal(i + 1))
        AwardFactory(person=person, from_team=team, landed_on=dt.date(2024, 12, 1))
    with django_assert_max_num_queries(4):
        board = leaderboard(by="person", period=Q1)
    assert len(board.rows) == people
    assert all(r.previous_rank is not None for r in board.rows)
    with django_assert_max_num_queries(4):
        assert len(leaderboard(by="team", period=Q1).rows) == 1


def test_periods_are_cut_into_rollup_spans():
    from incentives.leaderboards import _pieces

    assert _pieces(custom(dt.date(2023, 11, 25), dt.date(2025, 2, 14))) == [
        ("d", dt.date(2023, 11, 25), dt.date(2023, 11, 30)),
        ("m", dt.date(2023, 12, 1), dt.date(2023, 12, 1)),
        ("y", dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
        ("m", dt.date(2025, 1, 1), dt.date(2025, 1, 1)),
        ("d", dt.date(2025, 2, 1), dt.date(2025, 2, 14)),
    ]
    assert _pieces(Q1) == [("q", dt.date(2025, 1, 1), dt.date(2025, 1, 1))]


def test_periods():
    assert period_of("week", dt.date(2025, 3, 5)) == period_of("week", dt.date(2025, 3, 9))
    assert period_of("week", dt.date(2025, 3, 5)).start == dt.date(2025, 3, 3)
    assert period_of("month", dt.date(2024, 2, 10)).end == dt.date(2024, 2, 29)
    assert period_of("quarter", dt.date(2025, 11, 30)).label == "2025-Q4"
    assert Q1.previous() == period_of("quarter", dt.date(2024, 12, 1))
    assert custom(dt.date(2025, 3, 1), dt.date(2025, 3, 10)).previous() == custom(
        dt.date(2025, 2, 19), dt.date(2025, 2, 28)
    )
    assert period_from_params({"period": "year", "date": "2025-06-01"}).label == "2025"
    assert period_from_params({"since": "2025-01-01", "until": "2025-01-31"}).kind == "custom"
    with pytest.raises(PeriodError, match="before the start"):
        period_from_params({"since": "2025-02-01", "until": "2025-01-31"})
    with pytest.raises(PeriodError, match="both since and until"):
        period_from_params({"since": "2025-02-01"})
    with pytest.raises(PeriodError, match="must be a date"):
        period_from_params({"period": "month", "date": "yesterday"})
    with pytest.raises(PeriodError, match="Unknown period"):
        period_from_params({"period": "decade"})


def test_people_board_from_the_rollup_matches_the_ledger_for_any_period(db):
    team = team_ensure_path(path="Div/A")
    people = [PersonFactory() for _ in range(4)]
    day = dt.date(2023, 11, 20)
    for i in range(60):  # spread over sixteen months, some negative rows
        AwardFactory(
            person=people[i % 4],
            from_team=team,
            landed_on=day + dt.timedelta(days=8 * i),
            points=Decimal(i * 7 % 23) - Decimal("5.25"),
        )
    for since, until in [
        ("2024-11-20", "2025-03-10"),
        ("2024-12-01", "2025-01-31"),
        ("2024-12-15", "2025-01-14"),
        ("2025-01-01", "2025-01-01"),
        ("2024-11-01", "2025-02-28"),
        ("2024-01-01", "2024-12-31"),
        ("2023-12-01", "2025-03-31"),
        ("2024-04-01", "2024-09-30"),
        ("2023-11-25", "2025-02-14"),
    ]:
        period = custom(dt.date.fromisoformat(since), dt.date.fromisoformat(until))
        expected = {}
        for a in Award.objects.filter(landed_on__range=(period.start, period.end)):
            expected[a.person_id] = expected.get(a.person_id, Decimal("0")) + a.points
        got = {r.id: r.points for r in leaderboard(by="person", period=period).rows}
        assert got == {k: v for k, v in expected.items() if v}, (since, until)
        scoped = leaderboard(by="person", period=period, team_ids={team.id})
        assert {r.id: r.points for r in scoped.rows} == got


def _expected(by: str, period) -> dict:
    """The board straight from the ledger rows, in Python (the reference)."""
    key = {"person": "person_id", "team": "from_team_id", "project": "project_id"}[by]
    other = "from_team_id" if by == "project" else "to_team_id"
    sums: dict = {}
    pairs: dict = {}
    for a in Award.objects.filter(landed_on__range=(period.start, period.end)):
        k = getattr(a, key)
        acc = sums.setdefault(k, [Decimal("0"), 0])
        acc[0] += a.points
        acc[1] += a.change_count
        for slot, column in enumerate(("project_id", other, "person_id")):
            p = (k, slot, getattr(a, column))
            pairs[p] = pairs.get(p, 0) + a.change_count
    out = {}
    for k, (points, changes) in sums.items():
        counts = [sum(1 for (kk, s, _), n in pairs.items() if kk == k and s == slot and n > 0)
                  for slot in range(3)]  # fmt: skip
        out[k] = (points, changes, *counts)
    return out


def test_rollup_boards_equal_the_ledger_for_any_period(db):
    teams = [team_ensure_path(path=p) for p in ("Div/A", "Div/B", "Other/C")]
    projects = [ProjectFactory() for _ in range(3)]
    people = [PersonFactory() for _ in range(4)]
    days = [dt.date(2024, 12, 30), dt.date(2025, 1, 14), dt.date(2025, 2, 1), dt.date(2025, 3, 31),
            dt.date(2025, 4, 2), dt.date(2025, 9, 9)]  # fmt: skip
    n = 0
    for day in days:
        for person in people:
            n += 1
            award = AwardFactory(
                person=person,
                landed_on=day,
                change__project=projects[n % 3],
                from_team=teams[n % 3] if n % 5 else None,
                to_team=teams[(n + 1) % 3],
                points=Decimal(n),
            )
            if n % 4 == 0:  # a claw-back: the pair nets to zero changes
                AwardFactory(
                    person=person,
                    landed_on=day,
                    change=award.change,
                    kind=Award.Kind.REVERT,
                    from_team=award.from_team,
                    to_team=award.to_team,
                    points=-award.points,
                    change_count=-1,
                )
    periods = [
        Q1,
        period_of("year", dt.date(2025, 5, 5)),
        period_of("month", dt.date(2025, 2, 5)),
        custom(dt.date(2024, 12, 15), dt.date(2025, 4, 10)),
        period_of("week", dt.date(2025, 1, 15)),
    ]
    for by in ("team", "project", "person"):
        for period in periods:
            board = leaderboard(by=by, period=period)
            got = {r.id: (r.points, r.changes, r.projects, r.teams, r.people) for r in board.rows}
            expected = {k: v for k, v in _expected(by, period).items() if v[0] or v[1]}
            assert got == expected, (by, period)
