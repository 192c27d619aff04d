"""The synthetic-history generator: deterministic, exact counts, realistic ingredients."""

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from bench._fastimport import git_env
from bench.generate import append_commits, generate

N, AUTHORS, TEAMS, SEED = 400, 30, 5, 3
KST = dt.timezone(dt.timedelta(hours=9))
CSV_HEADER = ["email", "name", "team_path", "start", "end", "gitlab_username", "github_login"]


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, check=True, env=git_env()
    )
    return out.stdout.decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("gen"), N, AUTHORS, TEAMS, SEED)


@pytest.fixture(scope="module")
def csv_rows(history):
    with history.org_csv.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


def test_same_seed_same_head_different_seed_different(tmp_path):
    a = generate(tmp_path / "a", 120, 12, 3, seed=42)
    b = generate(tmp_path / "b", 120, 12, 3, seed=42)
    c = generate(tmp_path / "c", 120, 12, 3, seed=43)
    assert a.head_sha == b.head_sha
    assert a.org_csv.read_bytes() == b.org_csv.read_bytes()
    assert c.head_sha != a.head_sha


@pytest.mark.parametrize("n", [1, 2, 5, 57, 233])
def test_commit_count_is_exact(tmp_path, n):
    """N counts every commit reachable from any ref: main, feature and merge commits."""
    h = generate(tmp_path, n, 10, 3, seed=n)
    assert int(git(h.repo_path, "rev-list", "--count", "--all")) == n
    refs = git(h.repo_path, "for-each-ref", "--format=%(refname)").split()
    assert "refs/heads/main" in refs
    assert all(r == "refs/heads/main" or r.startswith("refs/heads/feature/") for r in refs)
    assert len(refs) - 1 == h.repos[0].stats["open_feature_branches"]
    assert git(h.repo_path, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_history_has_the_counts_and_ingredients(history):
    repo = history.repo_path
    assert int(git(repo, "rev-list", "--count", "--all")) == N
    assert int(git(repo, "rev-list", "--count", "--merges", "--all")) >= 3
    status = git(repo, "log", "--all", "-M", "--name-status", "--format=")
    assert re.search(r"^R\d+\t", status, re.M), "no rename"
    assert re.search(r"^D\t", status, re.M), "no delete"
    assert re.search(r"^[AM]\tvendor/", status, re.M), "no vendored folder"
    assert re.search(r"^M\tuv\.lock$", status, re.M), "lockfile never changes"
    bodies = git(repo, "log", "--all", "--format=%B")
    reverted = re.findall(r'^Revert ".+"\n\nThis reverts commit ([0-9a-f]{40})\.', bodies, re.M)
    assert len(reverted) >= 2
    for sha in reverted:
        git(repo, "merge-base", "--is-ancestor", sha, "main")
    assert len(re.findall(r"^Co-authored-by: .+ <.+@.+>$", bodies, re.M)) >= 2
    numstat = git(repo, "log", "--all", "--numstat", "--format=")
    assert re.search(r"^-\t-\tdocs/img/architecture\.png$", numstat, re.M), "no binary file"


def test_empty_commits_and_odd_encodings(history):
    repo = history.repo_path
    commits = [c.split() for c in git(repo, "log", "--all", "--format=%H %T %P").splitlines()]
    tree_of = {c[0]: c[1] for c in commits}
    empty = [c for c in commits if len(c) == 3 and tree_of[c[2]] == c[1]]  # same tree as parent
    assert 1 <= len(empty) <= 3
    raw = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input="\n".join(tree_of).encode(),
        capture_output=True,
        check=True,
        env=git_env(),
    ).stdout
    assert re.search(rb"^encoding euc-kr$", raw, re.M)
    assert re.search(rb"^encoding iso-8859-1$", raw, re.M)
    headers = [ln for ln in raw.split(b"\n") if ln.startswith(b"author ")]
    undecodable = []
    for line in headers:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            undecodable.append(line)
    assert undecodable, "expected some author names that are not UTF-8"


def test_timestamps_span_two_years_mostly_kst(history):
    out = git(history.repo_path, "log", "--all", "--format=%at %ad %ct", "--date=format:%z")
    rows = [line.split() for line in out.splitlines()]
    offsets = [r[1] for r in rows]
    assert offsets.count("+0900") / len(offsets) > 0.6
    assert len(set(offsets)) >= 2
    committed = sorted(int(r[2]) for r in rows)
    span_days = (committed[-1] - committed[0]) / 86400
    assert 600 < span_days < 731
    first = dt.datetime.fromtimestamp(committed[0], KST).date()
    assert dt.date(2023, 1, 1) <= first


def test_authors_match_csv_except_planted_unknowns_and_bots(history, csv_rows):
    _, rows = csv_rows
    known = {r["email"] for r in rows}
    periods = defaultdict(list)
    for r in rows:
        end = dt.date.fromisoformat(r["end"]) if r["end"] else dt.date.max
        periods[r["email"]].append((dt.date.fromisoformat(r["start"]), end))
    out = git(history.repo_path, "log", "--all", "--format=%ae %ct")
    seen = set()
    for line in out.splitlines():
        email, ct = line.split()
        seen.add(email)
        if email in known:  # employed on the day of the commit (KST)
            day = dt.datetime.fromtimestamp(int(ct), KST).date()
            assert any(s <= day <= e for s, e in periods[email]), (email, day)
    extra = seen - known
    assert extra <= set(history.unknown_emails) | set(history.bot_emails)
    assert set(history.bot_emails) <= seen
    assert extra & set(history.unknown_emails), "no planted unknown email in the history"
    assert not set(history.unknown_emails) & known
    assert len(seen & known) >= AUTHORS // 2
    bodies = git(history.repo_path, "log", "--all", "--format=%B")
    coauthors = re.findall(r"^Co-authored-by: .+ <(.+)>$", bodies, re.M)
    assert coauthors and set(coauthors) <= known


def test_csv_columns_and_no_overlapping_periods(history, csv_rows):
    header, rows = csv_rows
    assert header == CSV_HEADER
    assert len({r["email"] for r in rows}) == AUTHORS
    assert len({r["team_path"] for r in rows}) == TEAMS
    by_person = defaultdict(list)
    for r in rows:
        assert re.fullmatch(r"[^/]+/[^/]+", r["team_path"]), r["team_path"]
        start = dt.date.fromisoformat(r["start"])
        end = dt.date.fromisoformat(r["end"]) if r["end"] else None
        assert end is None or end >= start
        assert r["gitlab_username"]
        by_person[r["email"]].append((start, end, r["team_path"]))
    movers = 0
    for spans in by_person.values():
        spans.sort()
        for (_, e1, t1), (s2, _, t2) in zip(spans, spans[1:], strict=False):
            assert e1 is not None and e1 < s2, "overlapping periods"
            assert s2 == e1 + dt.timedelta(days=1) and t1 != t2
            movers += 1
    assert movers >= 1
    assert {h for h in history.teams} == {r["team_path"] for r in rows}


def test_append_commits_is_deterministic(tmp_path):
    a = generate(tmp_path / "a", 60, 8, 2, seed=5)
    b = generate(tmp_path / "b", 60, 8, 2, seed=5)
    head_a = append_commits(a.repo_path, 3, seed=9)
    assert append_commits(b.repo_path, 3, seed=9) == head_a
    assert int(git(a.repo_path, "rev-list", "--count", "--all")) == 63
    assert git(a.repo_path, "rev-parse", "main~3").strip() == a.head_sha
    emails = set(git(a.repo_path, "log", "-3", "--format=%ae").split())
    assert emails <= {p.email for p in a.authors}


def test_cli_prints_a_json_summary(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "bench.generate", "--out", str(tmp_path), "--commits", "40",
         "--authors", "6", "--teams", "2", "--seed", "1", "--projects", "2"],
        capture_output=True, check=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    summary = json.loads(out.stdout)
    assert summary["repo_path"] == str(tmp_path / "repo.git")
    assert (tmp_path / "repo-2.git").is_dir() and (tmp_path / "org.csv").is_file()
    assert len(summary["repos"]) == 2 and summary["commits_per_project"] == 40
    assert re.fullmatch(r"[0-9a-f]{40}", summary["head_sha"])
