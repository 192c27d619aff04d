"""Fuzzing the org CSV importer (people.orgcsv and people.services.org_import) with hypothesis.

Rows mix valid values with hostile ones (over-long fields, NUL and control characters, bad
dates, odd quoting), and whole files are mutated. An import either succeeds or raises
OrgImportError listing the bad rows; nothing else escapes (no database error on PostgreSQL),
and a refused import leaves every table exactly as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from people import orgcsv, services
from people.models import Identity, Membership, Person, Team
from people.orgcsv import COLUMNS, OrgImportError

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
pytestmark = pytest.mark.django_db

words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
nasty = st.sampled_from(["\x00", "a\x00b", "\x1f", "\u2028", "\ufeff", '"', ",", "\n", "\r\n", ""])
emails = st.tuples(words, words).map(lambda t: f"{t[0]}@{t[1]}.example")
VALID = st.fixed_dictionaries({
    "email": emails, "name": words, "team_path": st.lists(words, min_size=1, max_size=3).map("/".join),
    "start": st.dates(max_value=dt.date(2030, 1, 1)).map(str), "end": st.just(""),
    "gitlab_username": st.one_of(st.just(""), words), "github_login": st.one_of(st.just(""), words),
})  # fmt: skip
# One hostile value per column: each alone may break a row that is otherwise fine.
HOSTILE = {
    "email": st.one_of(
        st.integers(1, 64).map(lambda n: f"{'a' * 64}@{'.'.join(['b' * 60] * 4)}{'c' * n}.example"),
        st.text(max_size=20), st.tuples(words, nasty).map(lambda t: f"{t[0]}{t[1]}@x.example"),
    ),
    "name": st.one_of(st.integers(190, 260).map(lambda n: "N" * n), st.text(max_size=30),
                      st.tuples(words, nasty).map("".join)),
    "team_path": st.one_of(
        st.lists(st.integers(100, 120).map(lambda n: "T" * n), min_size=4, max_size=6).map("/".join),
        st.text(max_size=20), st.tuples(words, nasty).map("/".join),
    ),
    "start": st.text(max_size=12),
    "end": st.one_of(st.dates().map(str), st.text(max_size=12)),
    "gitlab_username": st.one_of(st.integers(240, 260).map(lambda n: "g" * n), st.text(max_size=10)),
    "github_login": st.text(max_size=10),
}  # fmt: skip


@st.composite
def rows(draw):
    row = draw(VALID)
    for column in draw(st.sets(st.sampled_from(COLUMNS), max_size=2)):
        row[column] = draw(HOSTILE[column])
    return row


def render(items) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(items)
    return out.getvalue()


def counts():
    return tuple(m.objects.count() for m in (Person, Identity, Membership, Team))


def attempt(text: str, create_teams: bool):
    before = counts()
    try:
        report = services.org_import(text=text, create_teams=create_teams)
    except OrgImportError as exc:
        assert exc.errors, "an import error names what is wrong"
        assert counts() == before, "a refused import wrote something"
        return None
    return report


@FUZZ
@given(st.lists(rows(), min_size=1, max_size=4), st.booleans())
def test_an_import_succeeds_or_is_refused_whole(items, create_teams):
    text = render(items)
    report = attempt(text, create_teams)
    if report is not None:
        parsed, errors = orgcsv.parse(text)
        assert not errors
        for r in parsed:
            person = Person.objects.get(email=r.email)
            assert person.memberships.filter(team__path=r.team_path, start=r.start).exists()


@FUZZ
@given(
    st.lists(rows(), min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(0, 10_000), st.text(max_size=6)), min_size=1, max_size=4),
)
def test_mutated_files_are_imported_or_refused_whole(items, edits):
    text = render(items)
    for at, insert in edits:
        i = at % (len(text) + 1)
        text = text[:i] + insert + text[i + len(insert) // 2 :]
    attempt(text, create_teams=True)


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_uploads_are_decoded_and_parsed_or_refused(data):
    try:
        text = orgcsv.decode(data)
    except OrgImportError as exc:
        assert exc.errors
        return
    parsed, errors = orgcsv.parse(text)
    assert all(isinstance(e, orgcsv.RowError) for e in errors)
    assert all(isinstance(r, orgcsv.OrgRow) for r in parsed)
    attempt(text, create_teams=True)
