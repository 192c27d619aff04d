"""The demo organisation: 4 teams in 2 divisions, 20 people, two of whom moved teams this year.

Dates are relative to the demo's year, which starts a year before the first seeding and is
kept from then on (it is the start of the demo people's first memberships), so a restart the
next week finds the same organisation.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from people import orgcsv, services
from people.models import Membership, Person
from people.roles import COMMITTEE_CHAIR, COMMITTEE_MEMBER, MANAGER, OSPO_ADMIN, RESEARCHER

DEMO_PASSWORD = "osp-demo"  # noqa: S105 - printed by `make run`; demo data only

TEAMS = [
    "AI Research/Vision Lab",
    "AI Research/Language Lab",
    "Systems/Platform",
    "Systems/Security",
]
NAMES = [
    "Kim Minji",
    "Lee Jihoon",
    "Park Soyeon",
    "Choi Hyunwoo",
    "Jung Yuna",
    "Kang Dohyun",
    "Cho Seoyeon",
    "Yoon Jaemin",
    "Jang Hana",
    "Lim Taeyang",
    "Han Eunji",
    "Oh Sungmin",
    "Seo Jiwoo",
    "Shin Yerin",
    "Kwon Junho",
    "Hwang Minseo",
    "Ahn Woojin",
    "Song Chaeyoung",
    "Yoo Hyunjin",
    "Hong Gildong",
]
# username -> (person index, roles)
LOGINS = {
    "researcher": (0, [RESEARCHER]),
    "committee": (6, [COMMITTEE_MEMBER]),
    "security": (11, [COMMITTEE_MEMBER]),
    "chair": (15, [COMMITTEE_CHAIR]),
    "manager": (5, [MANAGER]),
    "admin": (19, [OSPO_ADMIN]),
}
MOVED = {
    3: (1, 120),
    13: (0, 210),
}  # index -> (new team, last day in the old team: days after the year's start)
# Committee members never author the demo's cross-team commits (a reviewer may not review a
# history they wrote).
COMMITTEE = {
    index
    for index, roles in LOGINS.values()
    if COMMITTEE_MEMBER in roles or COMMITTEE_CHAIR in roles
}


def email_of(name: str) -> str:
    family, given = name.lower().split(" ", 1)
    return f"{given}.{family}@institute.example"


def gitlab_username(name: str) -> str:
    return email_of(name).split("@")[0].replace(".", "-")


def team_index_of(index: int) -> int:
    """The team a person starts the year in."""
    return index % len(TEAMS)


def year_start() -> dt.date:
    """The demo year's first day: kept from the first seeding, else a year ago today."""
    emails = [email_of(n) for n in NAMES]
    first = Membership.objects.filter(person__email__in=emails).order_by("start").first()
    return first.start if first else timezone.localdate() - dt.timedelta(days=365)


def org_csv(year_start: dt.date) -> str:
    rows = []
    for i, name in enumerate(NAMES):
        email = email_of(name)
        login = gitlab_username(name)
        team = TEAMS[i % len(TEAMS)]
        base = {"email": email, "name": name, "gitlab_username": login, "github_login": ""}
        if i in MOVED:
            new_team, days = MOVED[i]
            last_day = year_start + dt.timedelta(days=days)
            rows.append(
                {
                    **base,
                    "team_path": team,
                    "start": year_start.isoformat(),
                    "end": last_day.isoformat(),
                }
            )
            next_day = last_day + dt.timedelta(days=1)
            rows.append(
                {**base, "team_path": TEAMS[new_team], "start": next_day.isoformat(), "end": ""}
            )
        else:
            rows.append({**base, "team_path": team, "start": year_start.isoformat(), "end": ""})
    return orgcsv.render(rows)


@transaction.atomic
def seed_org() -> list[tuple[str, str, list[str]]]:
    """Idempotent: teams, people, and one login per role. Returns (username, password, roles)."""
    services.org_import(text=org_csv(year_start()), create_teams=True)
    User = get_user_model()
    logins = []
    for username, (index, roles) in LOGINS.items():
        person = Person.objects.get(email=email_of(NAMES[index]))
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": person.email}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = OSPO_ADMIN in roles
            user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
        if person.user_id != user.id:
            person.user = user
            person.save(update_fields=["user"])
        logins.append((username, DEMO_PASSWORD, roles))
    return logins
