import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from people import services
from people.models import Identity, Membership, Person, Team
from people.orgcsv import COLUMNS, OrgImportError, render
from people.selectors import org_export_csv

pytestmark = pytest.mark.django_db
HEADER = ",".join(COLUMNS)


def csv(*lines):
    return "\n".join([HEADER, *lines]) + "\n"


@pytest.fixture
def teams():
    for path in ["AI Research/Vision Lab", "AI Research/Language Lab", "Systems/Platform"]:
        services.team_ensure_path(path=path)


FIRST = csv(
    "minji.kim@institute.example,Kim Minji,AI Research/Vision Lab,2025-01-01,,minji-kim,minjik",
    "jihoon.lee@institute.example,Lee Jihoon,AI Research/Language Lab,2025-02-01,,jihoon,",
)


def test_import_creates_people_identities_and_memberships(teams):
    report = services.org_import(text=FIRST)
    assert (report.people_created, report.memberships_created) == (2, 2)
    minji = Person.objects.get(email="minji.kim@institute.example")
    assert set(minji.identities.values_list("kind", "value")) == {
        ("email", "minji.kim@institute.example"),
        ("gitlab", "minji-kim"),
        ("github", "minjik"),
    }
    m = minji.memberships.get()
    assert (m.team.path, m.start, m.end) == ("AI Research/Vision Lab", dt.date(2025, 1, 1), None)


def test_import_is_idempotent(teams):
    services.org_import(text=FIRST)
    snapshot = list(Membership.objects.values_list("id", "person_id", "team_id", "start", "end"))
    report = services.org_import(text=FIRST)
    assert not report.changed
    assert (
        list(Membership.objects.values_list("id", "person_id", "team_id", "start", "end"))
        == snapshot
    )
    assert Person.objects.count() == 2 and Identity.objects.count() == 5


def test_later_file_with_a_move_closes_old_membership_and_opens_new(teams):
    services.org_import(text=FIRST)
    moved = csv(
        "minji.kim@institute.example,Kim Minji,AI Research/Language Lab,2026-03-01,,minji-kim,minjik",
        "jihoon.lee@institute.example,Lee Jihoon,AI Research/Language Lab,2025-02-01,,jihoon,",
    )
    report = services.org_import(text=moved)
    assert (report.memberships_closed, report.memberships_created) == (1, 1)
    periods = list(
        Membership.objects.filter(person__email="minji.kim@institute.example")
        .order_by("start")
        .values_list("team__path", "start", "end")
    )
    assert periods == [
        ("AI Research/Vision Lab", dt.date(2025, 1, 1), dt.date(2026, 2, 28)),
        ("AI Research/Language Lab", dt.date(2026, 3, 1), None),
    ]
    assert not services.org_import(text=moved).changed


def test_membership_dropped_without_a_new_one_closes_on_as_of(teams):
    services.org_import(text=FIRST)
    only_start = csv(
        "minji.kim@institute.example,Kim Minji,AI Research/Vision Lab,2025-01-01,2025-12-31,minji-kim,minjik",
    )
    services.org_import(text=only_start)
    assert Membership.objects.get(person__email="minji.kim@institute.example").end == dt.date(
        2025, 12, 31
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "not-an-email,X,AI Research/Vision Lab,2025-01-01,,,",
            "email 'not-an-email' is not a valid",
        ),
        (
            "a@institute.example,A,AI Research/Vision Lab,2025-13-01,,,",
            "start '2025-13-01' is not a date",
        ),
        (
            "a@institute.example,A,AI Research/Vision Lab,2025-02-01,2025-01-01,,",
            "end 2025-01-01 is before",
        ),
        ("a@institute.example,A,Nowhere/Lab,2025-01-01,,,", "unknown team 'Nowhere/Lab'"),
        ("a@institute.example,,AI Research/Vision Lab,2025-01-01,,,", "name is empty"),
        ("a@institute.example,A,AI Research/Vision Lab,2025-01-01,,bad user!,", "gitlab_username"),
    ],
)
def test_bad_rows_name_their_line_and_save_nothing(teams, line, expected):
    text = csv("ok@institute.example,Ok,AI Research/Vision Lab,2025-01-01,,,", line)
    with pytest.raises(OrgImportError) as err:
        services.org_import(text=text)
    assert [e.line for e in err.value.errors] == [3]
    assert expected in err.value.errors[0].message
    assert Person.objects.count() == 0 and Membership.objects.count() == 0


def test_overlapping_periods_in_file_are_refused(teams):
    text = csv(
        "a@institute.example,A,AI Research/Vision Lab,2025-01-01,2025-06-30,,",
        "a@institute.example,A,AI Research/Vision Lab,2025-06-01,,,",
    )
    with pytest.raises(OrgImportError) as err:
        services.org_import(text=text)
    assert err.value.errors[0].line == 3
    assert "overlaps line 2" in err.value.errors[0].message
    assert Person.objects.count() == 0


def test_duplicate_identity_across_two_people_is_refused(teams):
    text = csv(
        "a@institute.example,A,AI Research/Vision Lab,2025-01-01,,shared,",
        "b@institute.example,B,AI Research/Vision Lab,2025-01-01,,shared,",
    )
    with pytest.raises(OrgImportError) as err:
        services.org_import(text=text)
    assert "gitlab 'shared' also belongs to a@institute.example (line 2)" in str(err.value)
    assert Person.objects.count() == 0


def test_identity_owned_in_database_by_someone_else_is_refused(teams):
    services.org_import(text=FIRST)
    text = csv("c@institute.example,C,AI Research/Vision Lab,2025-01-01,,minji-kim,")
    with pytest.raises(OrgImportError, match="already belongs to minji.kim@institute.example"):
        services.org_import(text=text)
    assert not Person.objects.filter(email="c@institute.example").exists()


def test_missing_columns_are_reported_on_the_header():
    with pytest.raises(OrgImportError, match="line 1: header is missing column"):
        services.org_import(text="email,name\na@b.c,A\n")


def test_create_teams_builds_the_tree():
    services.org_import(text=FIRST, create_teams=True)
    vision = Team.objects.get(path="AI Research/Vision Lab")
    assert vision.kind == Team.Kind.TEAM
    assert vision.parent.path == "AI Research" and vision.parent.kind == Team.Kind.DIVISION
    assert vision.parent.parent.kind == Team.Kind.INSTITUTE


def test_export_round_trips(teams):
    services.org_import(text=FIRST)
    services.org_import(
        text=csv(
            "minji.kim@institute.example,Kim Minji,Systems/Platform,2026-01-01,,minji-kim,minjik",
            "jihoon.lee@institute.example,Lee Jihoon,AI Research/Language Lab,2025-02-01,,jihoon,",
        )
    )
    exported = org_export_csv()
    assert exported.splitlines()[0] == HEADER
    assert (
        "minji.kim@institute.example,Kim Minji,AI Research/Vision Lab,2025-01-01,2025-12-31,minji-kim,minjik"
        in exported
    )
    before = list(Membership.objects.values_list("person__email", "team__path", "start", "end"))
    report = services.org_import(text=exported)
    assert not report.changed
    assert (
        list(Membership.objects.values_list("person__email", "team__path", "start", "end"))
        == before
    )
    assert org_export_csv() == exported


def test_membership_add_refuses_overlap(teams):
    person = Person.objects.create(name="A", email="a@institute.example")
    team = Team.objects.get(path="Systems/Platform")
    services.membership_add(
        person=person, team=team, start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30)
    )
    with pytest.raises(services.DirectoryError, match="overlaps"):
        services.membership_add(person=person, team=team, start=dt.date(2025, 6, 30))
    services.membership_add(person=person, team=team, start=dt.date(2025, 7, 1))
    assert person.memberships.count() == 2


def test_command_reports_row_errors_with_file_and_line(teams, tmp_path, capsys):
    path = tmp_path / "org.csv"
    path.write_text(csv("a@institute.example,A,Missing/Team,2025-01-01,,,"))
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_org", str(path))
    assert f"{path}:2: unknown team 'Missing/Team'" in capsys.readouterr().err


def test_command_export_then_import(teams, tmp_path, capsys):
    src = tmp_path / "org.csv"
    src.write_text(FIRST)
    call_command("import_org", str(src))
    out = tmp_path / "out.csv"
    call_command("export_org", str(out))
    call_command("import_org", str(out))
    assert "No changes." in capsys.readouterr().out


def test_render_quotes_commas():
    text = render([dict.fromkeys(COLUMNS, "a,b")])
    assert '"a,b"' in text
