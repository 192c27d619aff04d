"""The catalogue's activity score: computed from data we hold, never from stars.

    score = 10·log2(1 + commits) + 8·log2(1 + contributors) + 12·log2(1 + cross_team)
          + 30·0.5^(days_since_last_commit / 30) + 5·[README] + 5·[CONTRIBUTING]

commits, contributors and cross-team contributors count the last 90 days. Each term only
grows with its input (and the recency term only shrinks as the last commit ages), so the
score is monotonic in every input; tests/projects/test_activity.py checks that as a property.
"""

import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy

WINDOW_DAYS = 90
FORMULA = gettext_lazy(
    "10·log2(1 + commits in 90 days) + 8·log2(1 + contributors) + 12·log2(1 + cross-team "
    "contributors) + 30·½^(days since the last commit ÷ 30) + 5 if a README is present "
    "+ 5 if a CONTRIBUTING guide is present"
)


@dataclass(frozen=True)
class ActivityInputs:
    commits: int = 0
    contributors: int = 0
    cross_team_contributors: int = 0
    days_since_last_commit: float | None = None  # None: no commit yet
    has_readme: bool = False
    has_contributing: bool = False


def activity_score(a: ActivityInputs) -> float:
    recency = 0.0
    if a.days_since_last_commit is not None:
        recency = 30 * 0.5 ** (max(a.days_since_last_commit, 0.0) / 30)
    score = (
        10 * math.log2(1 + max(a.commits, 0))
        + 8 * math.log2(1 + max(a.contributors, 0))
        + 12 * math.log2(1 + max(a.cross_team_contributors, 0))
        + recency
        + 5 * a.has_readme
        + 5 * a.has_contributing
    )
    return round(score, 2)
