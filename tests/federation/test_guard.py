"""The guard as a property: over random histories, approvals and screened ranges, whatever it
lets out has a history made only of approved or screened commits; and every push path goes
through it (a push the guard refuses leaves GitHub untouched)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation import guard, outbound
from federation.models import Clearance, CommitMap, Mirror
from tests.federation import test_publish_kit as kit

fed, fed_settings = kit.fed, kit.fed_settings


# -- random histories (pure) -----------------------------------------------------------------


@st.composite
def worlds(draw):
    """A DAG of commits 0..n-1 (parents before children), approvals, screened ranges
    (base -> tip) and a published commit."""
    n = draw(st.integers(2, 28))
    parents: dict[int, list[int]] = {0: []}
    for i in range(1, n):
        first = draw(st.integers(0, i - 1))
        more = draw(st.lists(st.integers(0, i - 1), max_size=1))
        parents[i] = list(dict.fromkeys([first, *more]))
    approved = set(draw(st.lists(st.integers(0, n - 1), max_size=3)))
    ranges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8))
    published = draw(st.one_of(st.none(), st.integers(0, n - 1)))
    return n, parents, approved, ranges, published


def ancestors(parents, x) -> set[int]:
    seen, todo = set(), [x]
    while todo:
        y = todo.pop()
        if y not in seen:
            seen.add(y)
            todo.extend(parents[y])
    return seen


def sha(i: int) -> str:
    return f"{i:040x}"


def decide(x, parents, approved, ranges, covered=()):
    clearances: dict[str, list[str]] = {}
    for base, tip in ranges:
        clearances.setdefault(sha(tip), []).append(sha(base))
    return guard.decide(
        sha(x),
        approved={sha(a) for a in approved},
        clearances=clearances,
        covered_by=[sha(c) for c in covered],
        is_ancestor=lambda a, b: int(a, 16) in ancestors(parents, int(b, 16)),
    )


@settings(max_examples=400, deadline=None)
@given(worlds())
def test_nothing_unapproved_or_unscreened_is_ever_let_out(world):
    n, parents, approved, ranges, published = world
    anc = {x: ancestors(parents, x) for x in range(n)}
    ok = set().union(*(anc[a] for a in approved)) if approved else set()
    for base, tip in ranges:
        ok |= anc[tip] - anc[base]  # what screening base..tip looked at
    covered = [published] if published is not None else []
    for x in range(n):
        verdict = decide(x, parents, approved, ranges, covered)
        if verdict.allowed:
            assert anc[x] <= ok, (x, verdict)
            assert verdict.root is not None and int(verdict.root, 16) in approved


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_approved_and_screened_descendants_are_let_out(world):
    n, parents, approved, ranges, _ = world
    for a in approved:
        assert decide(a, parents, approved, ranges).allowed
    for base, tip in ranges:
        if base in approved:
            verdict = decide(tip, parents, approved, ranges)
            assert verdict.allowed and verdict.chain[-1] == sha(tip)
    # chains: a screened range from an allowed tip is allowed too
    for base, tip in ranges:
        if decide(base, parents, approved, ranges).allowed:
            assert decide(tip, parents, approved, ranges).allowed


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_ancestors_of_what_is_out_may_go_out_and_nothing_else(world):
    """A tag on published history: allowed only through an ancestor check with an allowed
    commit, never because of a commit that is itself not allowed."""
    n, parents, approved, ranges, published = world
    if published is None:
        return
    allowed_published = decide(published, parents, approved, ranges).allowed
    for x in range(n):
        plain = decide(x, parents, approved, ranges)
        with_cover = decide(x, parents, approved, ranges, covered=[published])
        if with_cover.allowed and not plain.allowed:
            assert allowed_published and x in ancestors(parents, published)


def test_decide_explains_itself():
    v = guard.decide("b" * 40, approved={"a" * 40}, clearances={"b" * 40: ["a" * 40]})
    assert v and v.reason == "screened" and v.chain == ("a" * 40, "b" * 40)
    no = guard.decide("c" * 40, approved={"a" * 40}, clearances={"b" * 40: ["a" * 40]})
    assert not no and "neither approved" in no.reason


# -- the guard on a real project ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_every_push_path_is_refused_without_an_approval_or_a_screening(fed):
    fed.release()
    mirror = fed.mirror
    project = fed.project
    extra = fed.commit({"src/demo/u.py": "U = 1\n"}, message="Unscreened")
    from federation import pipeline

    pipeline.fetch(project=project)
    ref = "refs/heads/main"
    before = fed.public_refs()[ref]
    # an internal commit nobody screened, pushed as itself or as a made-up copy
    for public in (extra, mirror.public_sha):
        with pytest.raises(guard.GuardRefused):
            outbound.push_public(
                project=project, mirror=mirror,
                updates=[outbound.RefUpdate(ref, extra, public)],
            )  # fmt: skip
    # a branch or tag we do not mirror, even for the approved commit
    for other in ("refs/heads/dev", "refs/tags/nightly"):
        with pytest.raises(guard.GuardRefused, match="not mirrored"):
            outbound.push_public(
                project=project, mirror=mirror,
                updates=[outbound.RefUpdate(other, mirror.published_sha, mirror.public_sha)],
            )  # fmt: skip
    # a recorded map row is not enough: the copy must carry the trailer naming the commit
    CommitMap.objects.create(project=project, internal_sha=extra, public_sha=mirror.public_sha)
    Clearance.objects.create(project=project, base_sha=mirror.published_sha, tip_sha=extra)
    with pytest.raises(guard.GuardRefused, match="Internal-Commit"):
        outbound.push_public(
            project=project,
            mirror=mirror,
            updates=[outbound.RefUpdate(ref, extra, mirror.public_sha)],
        )
    # a withdrawn approval takes its descendants with it
    Mirror.objects.filter(pk=mirror.pk).update(rewrites=False)
    mirror.refresh_from_db()
    project.disclosures.update(state="rejected")
    with pytest.raises(guard.GuardRefused):
        outbound.push_public(
            project=project, mirror=mirror, updates=[outbound.RefUpdate(ref, extra, extra)]
        )
    assert fed.public_refs()[ref] == before


def test_guard_check_requires_full_shas():
    class M:
        branch, rewrites, published_sha = "main", True, ""

    with pytest.raises(guard.GuardRefused, match="full sha"):
        guard.check(project=None, mirror=M(), ref="refs/heads/main", internal_sha="abc",
                    public_sha="abc")  # fmt: skip


@settings(max_examples=1, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.just(None))
def test_hypothesis_is_configured(_):
    assert True
