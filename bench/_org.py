"""The synthetic organisation: teams, people, employment periods and the org CSV.

The CSV matches `manage.py import_org`: columns exactly `email,name,team_path,start,end,
gitlab_username,github_login`; `team_path` is `Division/Team`; dates are ISO; `end` may be empty.
A person who moved teams has two rows: the old one ends on day D, the new one starts on D+1.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

CSV_COLUMNS = ("email", "name", "team_path", "start", "end", "gitlab_username", "github_login")
EMAIL_DOMAIN = "inst.example"
WINDOW_START = dt.date(2023, 1, 1)  # the history spans two years from here
WINDOW_END = dt.date(2024, 12, 31)

DIVISIONS = (
    "AI Research",
    "Systems Engineering",
    "Materials Science",
    "Bio Computing",
    "Quantum Devices",
    "Climate Modeling",
    "Robotics",
    "Data Platform",
)
TEAM_TOPICS = (
    "Vision",
    "Speech",
    "Language",
    "Robot Learning",
    "Compilers",
    "Storage",
    "Networking",
    "Genomics",
    "Imaging",
    "Sensors",
    "Control",
    "Simulation",
    "HPC",
    "Security",
    "Optimization",
    "Graphics",
)
TEAM_KINDS = ("Lab", "Group", "Team", "Unit")
FAMILY = ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh")
FAMILY_HANGUL = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오")
GIVEN = (
    ("Minji", "민지"),
    ("Jiho", "지호"),
    ("Seoyeon", "서연"),
    ("Hyunwoo", "현우"),
    ("Eunji", "은지"),
    ("Dongha", "동하"),
    ("Sujin", "수진"),
    ("Jaewon", "재원"),
    ("Yuna", "유나"),
    ("Taeyang", "태양"),
    ("Hana", "하나"),
    ("Sungmin", "성민"),
)
WESTERN = (
    ("José", "Müller"),
    ("Ana", "García"),
    ("Chloé", "Dubois"),
    ("Lars", "Øster"),
    ("Priya", "Raman"),
    ("Tom", "Baker"),
    ("Aiko", "Tanaka"),
    ("Nguyen", "Van An"),
)
# Offsets (minutes) other than +09:00 for people working elsewhere.
OTHER_OFFSETS = (0, 60, 120, 330, -300, -420, 480, 600)


@dataclass(frozen=True)
class Membership:
    team_path: str
    start: dt.date
    end: dt.date | None


@dataclass
class Person:
    email: str
    name: str
    gitlab_username: str
    github_login: str
    memberships: list[Membership]
    git_name: str = ""  # the name in commits; may differ from the CSV name
    offset_minutes: int = 540
    weight: float = 1.0
    legacy_encoding: str = ""  # "euc-kr", "iso-8859-1" or "raw-latin-1": a misconfigured client
    alias_email: str = ""  # a personal address this person sometimes commits with (unknown)

    @property
    def start(self) -> dt.date:
        return self.memberships[0].start

    @property
    def end(self) -> dt.date | None:
        return self.memberships[-1].end

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def team_on(self, day: dt.date) -> str | None:
        for m in self.memberships:
            if m.start <= day and (m.end is None or day <= m.end):
                return m.team_path
        return None


def build_teams(rng: random.Random, n_teams: int) -> list[str]:
    n_div = max(1, min(len(DIVISIONS), -(-n_teams // 4)))
    names = [f"{t} {k}" for t in TEAM_TOPICS for k in TEAM_KINDS]
    rng.shuffle(names)
    teams = []
    for i in range(n_teams):
        base = names[i % len(names)]
        if i >= len(names):
            base = f"{base} {i // len(names) + 1}"
        teams.append(f"{DIVISIONS[i % n_div]}/{base}")
    return teams


def _rand_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randrange(max(1, (hi - lo).days + 1)))


LEGACY = {1: "euc-kr", 2: "iso-8859-1", 3: "raw-latin-1"}  # person index -> client encoding


def _names(rng: random.Random, i: int) -> tuple[str, str, tuple[str, str]]:
    """(CSV name, name used in commits, romanised (given, family))."""
    hangul = LEGACY.get(i) == "euc-kr" or (i not in LEGACY and rng.random() < 0.75)
    if hangul:
        fam_i = rng.randrange(len(FAMILY))
        given, given_h = rng.choice(GIVEN)
        name = f"{FAMILY_HANGUL[fam_i]}{given_h}"
        romanised = f"{given} {FAMILY[fam_i]}"
        git_name = name if i in LEGACY or rng.random() < 0.6 else romanised
        return name, git_name, (given, FAMILY[fam_i])
    roman = WESTERN[i - 2] if i in LEGACY else rng.choice(WESTERN)
    name = f"{roman[0]} {roman[1]}"
    return name, name, roman


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    return text.encode("ascii", "ignore").decode()


def build_people(rng: random.Random, n_authors: int, teams: list[str]) -> list[Person]:
    people: list[Person] = []
    used: dict[str, int] = {}
    for i in range(n_authors):
        name, git_name, roman = _names(rng, i)
        local = _ascii(f"{roman[0]}.{roman[1]}".lower().replace(" ", "")) or f"user{i}"
        used[local] = used.get(local, 0) + 1
        if used[local] > 1:
            local = f"{local}{used[local]}"
        email = f"{local}@{EMAIL_DOMAIN}"
        gitlab = local.replace(".", "")
        github = f"{gitlab}-{rng.choice(('dev', 'ai', 'lab', 'x'))}" if rng.random() < 0.7 else ""
        team = teams[i % len(teams)] if i < len(teams) else rng.choice(teams)
        if i < 4 or rng.random() < 0.8:
            start = _rand_date(rng, dt.date(2015, 1, 1), dt.date(2022, 12, 1))
        else:
            start = _rand_date(rng, WINDOW_START, dt.date(2024, 6, 30))
        end = None
        if i >= 4 and rng.random() < 0.12:
            end = _rand_date(rng, max(start, WINDOW_START) + dt.timedelta(days=120), WINDOW_END)
            end = min(end, WINDOW_END - dt.timedelta(days=20))
            if end <= start:
                end = None
        person = Person(email, name, gitlab, github, [Membership(team, start, end)], git_name)
        if rng.random() < 0.15:
            person.offset_minutes = rng.choice(OTHER_OFFSETS)
        person.weight = 1.0 / (1 + rng.random() * 9) ** 1.5
        person.legacy_encoding = LEGACY.get(i, "")
        people.append(person)
    _plant_movers(rng, people, teams)
    _plant_aliases(rng, people)
    return people


def _plant_movers(rng: random.Random, people: list[Person], teams: list[str]) -> None:
    if len(teams) < 2 or len(people) < 4:
        return
    n_movers = max(1, len(people) // 20)
    for person in rng.sample(people[1:], n_movers):
        first = person.memberships[0]
        lo = max(first.start, WINDOW_START) + dt.timedelta(days=60)
        hi = (first.end or WINDOW_END) - dt.timedelta(days=60)
        if hi <= lo:
            continue
        moved = _rand_date(rng, lo, hi)
        new_team = rng.choice([t for t in teams if t != first.team_path])
        person.memberships = [
            Membership(first.team_path, first.start, moved),
            Membership(new_team, moved + dt.timedelta(days=1), first.end),
        ]


def _plant_aliases(rng: random.Random, people: list[Person]) -> None:
    for person in people[: max(1, min(3, len(people) // 10))]:
        person.alias_email = f"{person.gitlab_username}{rng.randrange(70, 99)}@gmail.example"


def write_csv(path: Path, people: list[Person]) -> int:
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for p in people:
            for m in p.memberships:
                end = m.end.isoformat() if m.end else ""
                start = m.start.isoformat()
                writer.writerow(
                    (p.email, p.name, m.team_path, start, end, p.gitlab_username, p.github_login)
                )
                rows += 1
    return rows


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
