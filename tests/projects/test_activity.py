"""The activity score is monotonic in each input (a property, checked with hypothesis)."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from projects.activity import ActivityInputs, activity_score

counts = st.integers(min_value=0, max_value=100_000)
days = st.one_of(st.none(), st.floats(min_value=0, max_value=3650, allow_nan=False))
inputs = st.builds(
    ActivityInputs,
    commits=counts,
    contributors=counts,
    cross_team_contributors=counts,
    days_since_last_commit=days,
    has_readme=st.booleans(),
    has_contributing=st.booleans(),
)


@given(inputs, st.integers(min_value=1, max_value=1000))
def test_more_commits_contributors_or_cross_team_never_lower_the_score(a, more):
    base = activity_score(a)
    for field in ("commits", "contributors", "cross_team_contributors"):
        assert activity_score(replace(a, **{field: getattr(a, field) + more})) >= base


@given(inputs)
def test_readme_and_contributing_never_lower_the_score(a):
    base = activity_score(a)
    assert activity_score(replace(a, has_readme=True)) >= base
    assert activity_score(replace(a, has_contributing=True)) >= base


@given(inputs, st.floats(min_value=0.01, max_value=1000, allow_nan=False))
def test_an_older_last_commit_never_raises_the_score(a, later):
    if a.days_since_last_commit is None:
        a = replace(a, days_since_last_commit=0.0)
    assert activity_score(replace(a, days_since_last_commit=a.days_since_last_commit + later)) <= (
        activity_score(a)
    )


def test_each_input_actually_counts():
    zero = ActivityInputs()
    assert activity_score(zero) == 0
    assert activity_score(replace(zero, commits=1)) == 10
    assert activity_score(replace(zero, contributors=1)) == 8
    assert activity_score(replace(zero, cross_team_contributors=1)) == 12
    assert activity_score(replace(zero, days_since_last_commit=0)) == 30
    assert activity_score(replace(zero, days_since_last_commit=30)) == 15
    assert activity_score(replace(zero, has_readme=True, has_contributing=True)) == 10
